using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// NT-Xent, the normalised temperature-scaled cross entropy of SimCLR (Chen et al. 2020), in optax's form over a
    /// batch with group labels: with <c>s_ij = cos(e_i, e_j) / temperature</c>, every ordered pair i != j of one label
    /// costs <c>-log(exp(s_ij) / (exp(s_ij) + sum_{k: label_k != label_i} exp(s_ik)))</c>, and the loss is the mean over
    /// those pairs.
    /// </summary>
    /// <remarks>
    /// Each pair's loss is computed in log space as <c>logaddexp(s_ij, logsumexp_k s_ik) - s_ij</c>, so a small
    /// temperature (large similarities) stays finite. The cosine normalises rows with <c>x / max(||x||, 1e-12)</c> as
    /// <c>F.normalize</c> does, so a zero embedding gives similarity 0 rather than NaN. A sample whose label has no
    /// other label in the batch has no negatives: its pairs cost 0. Samples of a label seen once are negatives only.
    /// A batch with no two samples of one label has no positive pair: that is an error, not a NaN.
    /// Memory: one float N x N matrix (the similarities, turned into the negatives' logits in place and kept by autograd
    /// for the logsumexp's backward) and two bool ones; the positive pairs' terms are computed on those pairs only.
    /// <code>
    /// // two augmented views of each of 4 images: labels 0,1,2,3,0,1,2,3
    /// var loss = Losses.ntxent_loss(torch.cat(new[] { view1, view2 }), torch.cat(new[] { ids, ids }), temperature: 0.5);
    /// </code>
    /// </remarks>
    /// <param name="embeddings">Embeddings, shape (N, D), floating.</param>
    /// <param name="labels">Group labels, shape (N), integer; samples of one label are positives of each other.</param>
    /// <param name="temperature">The temperature, &gt; 0.</param>
    /// <returns>A scalar: the mean over positive pairs.</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, or no positive pair.</exception>
    public static Tensor ntxent_loss(Tensor embeddings, Tensor labels, double temperature = 0.07)
    {
        const string name = "ntxent_loss";
        Check.Floating(embeddings, name, nameof(embeddings));
        Check.Rank(embeddings, name, nameof(embeddings), 2);
        Check.Integer(labels, name, nameof(labels));
        Check.Rank(labels, name, nameof(labels), 1);
        Check.SameBatch(embeddings, nameof(embeddings), labels, nameof(labels), name);
        Check.Param(temperature > 0 && double.IsFinite(temperature), name, nameof(temperature), "a finite number > 0", temperature);
        Check.SameDevice(name, (embeddings, nameof(embeddings)), (labels, nameof(labels)));

        using var scope = NewDisposeScope();
        long n = embeddings.shape[0];
        // Two bool and one float (N, N) matrices: the positive pairs' similarities are gathered (P of them), and then the
        // similarity matrix is turned into the negatives' logits in place.
        var same = labels.unsqueeze(1).eq(labels.unsqueeze(0));
        var positive = same.clone();
        PairMasks.FillSelf(positive, 0, 0);
        if (!positive.any().item<bool>())
            throw new ArgumentException($"{name}: 'labels' has no two samples with the same label among {n}, so there is no positive pair", nameof(labels));

        var s = PairSimilarity.Cosine.Matrix(embeddings, embeddings).div_(temperature);
        // gathered by flat index (row-major, as masked_select orders them): index_select's backward keeps no copy of s
        var flat = positive.view(-1).nonzero().squeeze(1);                                                        // (P)
        var sPos = s.view(-1).index_select(0, flat);
        var noNegative = same.all(1);                                                                            // every sample shares the label
        // logsumexp over each row's negatives; rows with none get -inf (their pairs then cost 0) through a finite
        // stand-in row, so that no NaN reaches the gradient.
        s.masked_fill_(same, double.NegativeInfinity);
        s.masked_fill_(noNegative.unsqueeze(1), 0.0);
        var negLse = torch.where(noNegative, torch.tensor(double.NegativeInfinity, dtype: s.dtype, device: s.device), s.logsumexp(1));
        var perPair = torch.logaddexp(sPos, negLse.index_select(0, flat.floor_divide(n))) - sPos;                 // (P)
        var loss = perPair.mean();
        return loss.MoveToOuterDisposeScope();
    }
}

/// <summary>NT-Xent as a module (embeddings, labels); see <see cref="Losses.ntxent_loss"/>.</summary>
public sealed class NtXentLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double temperature;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.ntxent_loss"/>.</summary>
    public NtXentLoss(double temperature = 0.07) : base(nameof(NtXentLoss))
    {
        Check.Param(temperature > 0 && double.IsFinite(temperature), "NtXentLoss", nameof(temperature), "a finite number > 0", temperature);
        this.temperature = temperature;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor embeddings, Tensor labels) => Losses.ntxent_loss(embeddings, labels, temperature);
}

internal sealed class NtXentDefinition : LossDefinition
{
    public override string Name => "ntxent";
    public override string Family => "contrastive";
    public override string Summary => "NT-Xent (SimCLR) over a labelled batch: each positive pair against the anchor's negatives, cosine / temperature.";
    public override string Math => "mean_{i != j, y_i = y_j} -log( exp(s_ij) / (exp(s_ij) + sum_{k: y_k != y_i} exp(s_ik)) ),  s = cos(e_i, e_j) / temperature";
    public override string Reference => "Chen et al. 2020, A Simple Framework for Contrastive Learning of Visual Representations (SimCLR); optax.losses.ntxent";
    public override string Function => "Losses.ntxent_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("temperature", 0.07, "divides the cosine similarities", min: 0, minExclusive: true),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("embeddings", "(N, D) embeddings"),
        InputSpec.Data("labels", "(N) group labels"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.ntxent_loss(x.Required("embeddings"), x.Required("labels"), p.Float("temperature"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(8,5) 4 groups t=0.5", g => new() { ["embeddings"] = Sample.Normal(g, [8, 5]), ["labels"] = Sample.Groups(g, 8, 4) }, ("temperature", "0.5"));
        yield return GradcheckCase.Of("(6,4) 2 groups t=0.1", g => new() { ["embeddings"] = Sample.Normal(g, [6, 4]), ["labels"] = Sample.Groups(g, 6, 2) }, ("temperature", "0.1"));
        yield return GradcheckCase.Of("(2,3) one pair, no negatives", g => new() { ["embeddings"] = Sample.Normal(g, [2, 3]), ["labels"] = torch.tensor(new long[] { 5, 5 }) }, ("temperature", "0.2"));
        yield return GradcheckCase.Of("(5,4) singleton label, default t", g => new()
        {
            ["embeddings"] = Sample.Normal(g, [5, 4]),
            ["labels"] = torch.tensor(new long[] { 0, 1, 0, 2, 1 }),
        });
        yield return GradcheckCase.Of("(7,6) 3 uneven groups t=1", g => new()
        {
            ["embeddings"] = Sample.Normal(g, [7, 6], 3),
            ["labels"] = torch.tensor(new long[] { 2, 0, 2, 1, 0, 2, 1 }),
        }, ("temperature", "1"));
    }
}
