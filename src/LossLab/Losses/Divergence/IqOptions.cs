namespace LossLab;

/// <summary>How the chi2 regulariser's coefficient is written.</summary>
public enum Chi2Coefficient
{
    /// <summary><c>alpha / 4</c>, the IQ Loss paper's (default).</summary>
    Paper,
    /// <summary><c>1 / (4 alpha)</c>, IQ-Learn's and the public IQLoss code's.</summary>
    IqLearn,
}

/// <summary>Which logits the chi2 regulariser covers.</summary>
public enum Chi2Scope
{
    /// <summary>Every logit, <c>mean_c r_c^2</c> per sample (Appendix A, default).</summary>
    AllLogits,
    /// <summary>The target entry only, <c>r_y^2</c>: with alpha = 1 this is Pearson chi2's phi(x) = x - x^2/4 exactly.</summary>
    Target,
}

/// <summary>The forms of reverse KL's phi' in the public IQ-Learn code.</summary>
public enum KlForm
{
    /// <summary><c>exp(-r)</c>, Appendix A and IQ-Learn's <c>kl_fix</c> (default).</summary>
    Appendix,
    /// <summary><c>exp(-r - 1)</c>, the original dual form (f(u) = u log u; IQ-Learn's <c>kl</c>, "sub-optimal").</summary>
    Original,
    /// <summary><c>softmax(-r_y over the batch) * N</c>, the batch-biased form (IQ-Learn's <c>kl2</c>).</summary>
    BatchBiased,
    /// <summary><c>exp(-r)</c> with the reduced loss passed through <c>log(1 + loss)</c> (the "fixed" form).</summary>
    Fixed,
}

/// <summary>
/// The variants of IQ Loss beside the Appendix A defaults. <c>new IqOptions()</c> is Appendix A.
/// </summary>
public sealed record IqOptions
{
    /// <summary>The default options: exactly Appendix A.</summary>
    public static IqOptions Default { get; } = new();

    /// <summary>alpha/4 (paper) or 1/(4 alpha) (IQ-Learn).</summary>
    public Chi2Coefficient Chi2Coefficient { get; init; } = Chi2Coefficient.Paper;

    /// <summary>All logits (Appendix A) or the target entries only.</summary>
    public Chi2Scope Chi2Scope { get; init; } = Chi2Scope.AllLogits;

    /// <summary>Reverse KL's phi' form.</summary>
    public KlForm KlForm { get; init; } = KlForm.Appendix;

    /// <summary>Hellinger's (and Neyman chi2's) activation shifted so that logit 0 gives reward 0 (1e-5):
    /// <c>softplus(x + log(e - 1)) - 1 + 1e-5</c>.</summary>
    public bool ShiftedHellinger { get; init; }

    /// <summary>The entropy temperature tau of the energy-based model <c>p(y|x) ∝ exp(r_y / tau)</c>: the value term is
    /// <c>tau * logsumexp(r / tau)</c>. 1 is the paper's. For chi2 it only rescales the loss and the logits (absorbed by
    /// the last layer); for the other divergences it changes phi's curvature (see docs/iq-loss.md).</summary>
    public double Temperature { get; init; } = 1.0;
}

/// <summary>
/// The terms of one IQ Loss evaluation, as the paper's <c>loss_dict</c> reports them: batch means, for logging.
/// </summary>
/// <param name="SoftQ">The soft-Q term, mean of <c>-phi'(r_y) * r_y</c>.</param>
/// <param name="LogZ">The value term, mean of <c>tau * logsumexp(r / tau)</c>.</param>
/// <param name="Chi2">The chi2 regulariser's mean (0 unless divergence chi).</param>
/// <param name="Total">The loss (after reduction and, for KlForm.Fixed, log(1 + loss)).</param>
public sealed record IqTerms(double SoftQ, double LogZ, double Chi2, double Total)
{
    /// <summary>The terms by name (soft_q, log_z, chi2, total), for training logs.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary() => new Dictionary<string, double>
    {
        ["soft_q"] = SoftQ,
        ["log_z"] = LogZ,
        ["chi2"] = Chi2,
        ["total"] = Total,
    };
}
