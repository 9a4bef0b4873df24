using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>How <see cref="TemperatureScaling.Fit"/> chooses the temperature.</summary>
public enum TemperatureObjective
{
    /// <summary>
    /// Minimise the validation NLL by golden-section search on <c>log T</c> over
    /// [<see cref="TemperatureScaling.MinTemperature"/>, <see cref="TemperatureScaling.MaxTemperature"/>] (deterministic; the default).
    /// </summary>
    Nll,
    /// <summary>Minimise the validation NLL with L-BFGS on <c>log T</c> from T = 1, as Guo et al.'s code does with L-BFGS on T.</summary>
    NllLbfgs,
    /// <summary>
    /// The grid search of Mukhoti et al.'s focal-calibration code: T = 0.1, 0.2, ..., 10.0 (100 values), keeping the
    /// first T with the lowest validation ECE (15 equal-width bins by default).
    /// </summary>
    EceGrid,
}

/// <summary>The fitted temperature and the validation metrics before (T = 1) and after scaling.</summary>
public sealed record TemperatureScalingResult
{
    /// <summary>The temperature T; calibrated logits are <c>logits / T</c>.</summary>
    public required double Temperature { get; init; }
    /// <summary>How T was chosen: nll, nll_lbfgs or ece_grid.</summary>
    public required string Objective { get; init; }
    /// <summary>Validation NLL at T = 1.</summary>
    public required double NllBefore { get; init; }
    /// <summary>Validation NLL at the fitted T.</summary>
    public required double NllAfter { get; init; }
    /// <summary>Validation ECE (equal-width bins) at T = 1.</summary>
    public required double EceBefore { get; init; }
    /// <summary>Validation ECE at the fitted T.</summary>
    public required double EceAfter { get; init; }
    /// <summary>How many times the objective was evaluated.</summary>
    public required int Evaluations { get; init; }
    /// <summary>Whether T ended on an edge of the search range (the optimum may lie outside it).</summary>
    public required bool AtBoundary { get; init; }
}

/// <summary>
/// Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): one scalar T &gt; 0 divides all
/// logits, <c>softmax(z / T)</c>, fitted on a validation set. It does not change the argmax, so accuracy is kept.
/// </summary>
public static class TemperatureScaling
{
    /// <summary>The lower end of the golden-section bracket.</summary>
    public const double MinTemperature = 0.01;
    /// <summary>The upper end of the golden-section bracket.</summary>
    public const double MaxTemperature = 100.0;
    /// <summary>
    /// The golden-section search stops when its bracket on <c>log T</c> is narrower than this (about sqrt of float64's
    /// epsilon, below which the NLL's values near the minimum no longer order reliably).
    /// </summary>
    public const double LogTolerance = 1e-7;

    /// <summary>
    /// The temperatures the <see cref="TemperatureObjective.EceGrid"/> search tries, in order: 100 values built as the
    /// reference builds them, starting at 0.1 and adding 0.1 each time in float64 (so the third is
    /// 0.30000000000000004, as there).
    /// </summary>
    public static IReadOnlyList<double> EceGrid { get; } = BuildGrid();

    /// <summary>The temperature-scaled logits <c>logits / T</c>.</summary>
    /// <param name="logits">Logits, shape (N, C).</param>
    /// <param name="temperature">T, finite and &gt; 0.</param>
    /// <returns>A new tensor of the input's shape and dtype.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A bad temperature.</exception>
    public static Tensor Apply(Tensor logits, double temperature)
    {
        Check.NotNull(logits, "TemperatureScaling.Apply", nameof(logits));
        Check.Param(temperature > 0 && double.IsFinite(temperature), "TemperatureScaling.Apply", nameof(temperature), "a finite number > 0", temperature);
        return logits / temperature;
    }

    /// <summary>
    /// Fits T on validation logits and labels.
    /// </summary>
    /// <remarks>
    /// <para><see cref="TemperatureObjective.Nll"/>: the NLL is a convex function of <c>1/T</c>, hence unimodal in
    /// <c>u = log T</c>; golden-section search over <c>u</c> in [log 0.01, log 100] narrows the bracket until it is
    /// under <see cref="LogTolerance"/> and returns its midpoint (about 40 evaluations). When the NLL keeps falling
    /// towards an end (a classifier that is always right wants T -&gt; 0; one no better than chance, T -&gt; infinity),
    /// T ends at that end and <see cref="TemperatureScalingResult.AtBoundary"/> is set.</para>
    /// <para><see cref="TemperatureObjective.NllLbfgs"/>: L-BFGS (learning rate 1, at most 100 iterations, no line search)
    /// on <c>u</c> from 0.</para>
    /// <para><see cref="TemperatureObjective.EceGrid"/>: every T of <see cref="EceGrid"/>, keeping the first with the
    /// strictly lowest ECE (<see cref="Metrics.ece(Tensor, Tensor, long)"/> with <paramref name="n_bins"/> bins).</para>
    /// <para>All in float64 on the logits' device; the ECE before and after uses <paramref name="n_bins"/> equal-width bins.</para>
    /// <code>
    /// var fit = TemperatureScaling.Fit(valLogits, valLabels);
    /// var calibrated = TemperatureScaling.Apply(testLogits, fit.Temperature);
    /// </code>
    /// </remarks>
    /// <param name="logits">Validation logits, shape (N, C), finite.</param>
    /// <param name="labels">Validation labels, shape (N), integer in [0, C).</param>
    /// <param name="objective">How to choose T.</param>
    /// <param name="n_bins">Bins of the ECE, at least 1.</param>
    /// <returns>T and the validation NLL and ECE before and after.</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, non-finite logits, labels out of range, no samples.</exception>
    public static TemperatureScalingResult Fit(Tensor logits, Tensor labels, TemperatureObjective objective = TemperatureObjective.Nll, long n_bins = 15)
    {
        const string name = "TemperatureScaling.Fit";
        Check.ClassifierOutputs(logits, nameof(logits), labels, nameof(labels), name);
        Check.FiniteLogits(logits, name, nameof(logits));
        Check.Param(n_bins >= 1, name, nameof(n_bins), ">= 1", n_bins);
        Check.Param(Enum.IsDefined(objective), name, nameof(objective), "Nll, NllLbfgs or EceGrid", objective);
        using var scope = NewDisposeScope();
        var z = logits.detach().to_type(ScalarType.Float64);
        var y = labels.detach().to_type(ScalarType.Int64);
        var zy = z.gather(1, y.unsqueeze(1)).squeeze(1);
        double Nll(double t)
        {
            using var s = NewDisposeScope();
            return (torch.logsumexp(z / t, 1) - zy / t).mean().item<double>();
        }
        double Ece(double t)
        {
            using var s = NewDisposeScope();
            return Metrics.ece(torch.softmax(z / t, 1), y, n_bins).item<double>();
        }

        double temperature;
        int evaluations;
        string objectiveName;
        switch (objective)
        {
            case TemperatureObjective.Nll:
                (temperature, evaluations) = GoldenSection(Nll);
                objectiveName = "nll";
                break;
            case TemperatureObjective.NllLbfgs:
                (temperature, evaluations) = Lbfgs(z, zy);
                objectiveName = "nll_lbfgs";
                break;
            default:
                (temperature, evaluations) = (1.0, 0);
                double best = double.PositiveInfinity;
                foreach (double t in EceGrid)
                {
                    double e = Ece(t);
                    evaluations++;
                    if (e < best) { best = e; temperature = t; }
                }
                objectiveName = "ece_grid";
                break;
        }
        bool atBoundary = objective switch
        {
            TemperatureObjective.EceGrid => temperature == EceGrid[0] || temperature == EceGrid[^1],
            _ => Math.Log(temperature) <= Math.Log(MinTemperature) + 10 * LogTolerance || Math.Log(temperature) >= Math.Log(MaxTemperature) - 10 * LogTolerance,
        };
        return new TemperatureScalingResult
        {
            Temperature = temperature,
            Objective = objectiveName,
            NllBefore = Nll(1.0),
            NllAfter = Nll(temperature),
            EceBefore = Ece(1.0),
            EceAfter = Ece(temperature),
            Evaluations = evaluations,
            AtBoundary = atBoundary,
        };
    }

    /// <summary>Golden-section search of a unimodal f(T) over log T in [log Min, log Max]; returns T and the evaluations.</summary>
    internal static (double t, int evaluations) GoldenSection(Func<double, double> f)
    {
        double invPhi = (Math.Sqrt(5.0) - 1.0) / 2.0;
        double a = Math.Log(MinTemperature), b = Math.Log(MaxTemperature);
        double c = b - invPhi * (b - a), d = a + invPhi * (b - a);
        double fc = f(Math.Exp(c)), fd = f(Math.Exp(d));
        int evaluations = 2;
        while (b - a > LogTolerance)
        {
            if (fc <= fd)
            {
                b = d; d = c; fd = fc;
                c = b - invPhi * (b - a);
                fc = f(Math.Exp(c));
            }
            else
            {
                a = c; c = d; fc = fd;
                d = a + invPhi * (b - a);
                fd = f(Math.Exp(d));
            }
            evaluations++;
        }
        return (Math.Exp((a + b) / 2.0), evaluations);
    }

    private static (double t, int evaluations) Lbfgs(Tensor z, Tensor zy)
    {
        using var scope = NewDisposeScope();
        var u = torch.zeros(1, dtype: ScalarType.Float64, device: z.device).requires_grad_(true);
        var opt = torch.optim.LBFGS(new[] { new TorchSharp.Modules.Parameter(u) }, lr: 1.0, max_iter: 100);
        int evaluations = 0;
        var p = opt.parameters().First();
        opt.step(() =>
        {
            opt.zero_grad();
            var beta = (-p).exp();
            var loss = (torch.logsumexp(z * beta, 1) - zy * beta).mean();
            loss.backward();
            evaluations++;
            return loss;
        });
        double t = Math.Exp(p.detach().item<double>());
        return (t, evaluations);
    }

    private static double[] BuildGrid()
    {
        var grid = new double[100];
        double t = 0.1;
        for (int i = 0; i < grid.Length; i++)
        {
            grid[i] = t;
            t += 0.1;
        }
        return grid;
    }
}
