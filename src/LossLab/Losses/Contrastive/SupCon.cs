using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>Which views of the supervised contrastive loss act as anchors.</summary>
public enum SupConMode
{
    /// <summary>Every view of every sample is an anchor (the paper's default, <c>contrast_mode='all'</c>).</summary>
    All,
    /// <summary>Only the first view of each sample is an anchor (<c>contrast_mode='one'</c>).</summary>
    One,
}

public static partial class Losses
{
    /// <summary>
    /// Supervised contrastive loss (Khosla et al. 2020), the <c>L^sup_out</c> form: the V views of N samples give N V
    /// normalised embeddings z; for anchor i with positives P(i) (the other views of its label) and candidates A(i) (every
    /// view but itself), <c>l_i = -(t / t_base) / |P(i)| sum_{p in P(i)} log(exp(z_i.z_p / t) / sum_{a in A(i)} exp(z_i.z_a / t))</c>.
    /// </summary>
    /// <remarks>
    /// <para>Use it to pre-train an encoder with labels through a contrastive objective (then fit a linear classifier), or,
    /// without labels, as SimCLR: with <paramref name="labels"/> null each sample is its own class, so the positives are
    /// the other views of the same sample and the loss is SimCLR's NT-Xent over the views (for two views, exactly
    /// <see cref="ntxent_loss"/> with the view index as labels).</para>
    /// <para>As the authors' reference code: features are L2-normalised here (<c>F.normalize</c>); the loss is scaled by
    /// <c>temperature / base_temperature</c>; an anchor without any positive (a label seen once with one view) contributes
    /// 0 and still counts in the mean. Computed with <c>logsumexp</c> over each anchor's candidates, finite for small
    /// temperatures.</para>
    /// <para><b>Memory.</b> With <paramref name="chunk_size"/> = 0 (the reference form, ordinary autograd operations) the
    /// N V x N V logits exist at once and autograd keeps the log-probabilities and the bool positives mask until backward.
    /// With <paramref name="chunk_size"/> &gt; 0 the loss of the normalised embeddings z (V N, D) is a custom autograd
    /// function: forward builds one (chunk, N V) block of logits at a time (with its bool positives mask) and saves only z,
    /// the row labels and, per anchor, its logsumexp and positive count, O(N V) beyond z; backward recomputes each block,
    /// turns it in place into <c>G = s_i (softmax - M / |P(i)|) / t</c> (s_i: the incoming gradient of l_i times
    /// t / t_base; M: the positives), the gradient of the logits divided by t, and accumulates
    /// <c>dz[anchors] += G z</c>, <c>dz += G^T z[anchors]</c>, with one float block, its bool mask and a float copy of the
    /// mask at a time: O(chunk x N V) extra memory in forward and backward, whatever N. The values and gradients are those
    /// of the unchunked form up to rounding. A backward with <c>create_graph</c> (second derivatives) rebuilds the chunked
    /// composite form on the saved z, exact but with the composite's memory. The normalisation stays in ordinary
    /// autograd operations (its backward keeps the (N, V, D) features and their norms).</para>
    /// <code>
    /// var feats = torch.stack(new[] { proj(view1), proj(view2) }, 1);        // (N, 2, D)
    /// var loss = Losses.supcon_loss(feats, labels, temperature: 0.1);
    /// var simclr = Losses.supcon_loss(feats);                                  // no labels: SimCLR
    /// </code>
    /// </remarks>
    /// <param name="features">Features (N, V, D): V views of each of N samples, floating.</param>
    /// <param name="labels">Optional class labels (N), integer; null: each sample is its own class.</param>
    /// <param name="temperature">t, &gt; 0 (the paper's 0.07 by default, 0.1 in its experiments).</param>
    /// <param name="base_temperature">t_base, &gt; 0: the loss is multiplied by t / t_base.</param>
    /// <param name="contrast_mode">All views as anchors, or only the first view of each sample.</param>
    /// <param name="chunk_size">Anchors per block of logits (0: all at once).</param>
    /// <param name="reduction">none: per-anchor losses, (N, V) for mode all or (N) for mode one; mean over anchors; sum.</param>
    /// <returns>A scalar, or the per-anchor losses for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor supcon_loss(Tensor features, Tensor? labels = null, double temperature = 0.07, double base_temperature = 0.07,
        SupConMode contrast_mode = SupConMode.All, long chunk_size = 0, Reduction reduction = Reduction.Mean)
    {
        const string name = "supcon_loss";
        Check.Floating(features, name, nameof(features));
        Check.Rank(features, name, nameof(features), 3);
        if (features.shape[0] == 0 || features.shape[1] == 0 || features.shape[2] == 0)
            throw new ArgumentException($"{name}: 'features' must have shape (N >= 1, V >= 1, D >= 1), got {Check.Shape(features)}", nameof(features));
        if (labels is not null) Check.GroupLabels(labels, features, nameof(features), name);
        Check.PositiveFinite(temperature, name, nameof(temperature));
        Check.PositiveFinite(base_temperature, name, nameof(base_temperature));
        if (!Enum.IsDefined(contrast_mode)) throw new ArgumentOutOfRangeException(nameof(contrast_mode), contrast_mode, $"{name}: 'contrast_mode' must be all or one");
        Check.ChunkSize(chunk_size, name);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        long n = features.shape[0], v = features.shape[1];
        var device = features.device;
        // View-major rows, as the reference code: row v * N + i is view v of sample i.
        var z = nn.functional.normalize(features, 2, 2, 1e-12).transpose(0, 1).reshape(v * n, features.shape[2]);
        var ids = labels ?? torch.arange(n, dtype: ScalarType.Int64, device: device);
        var rowIds = ids.repeat(v);                                                                 // (V N)
        long anchors = contrast_mode == SupConMode.All ? v * n : n;
        Tensor loss;
        if (v * n == 1)   // a single view of a single sample: no candidate, no positive; its loss is 0
            loss = features.flatten().narrow(0, 0, 1) * 0.0;
        else if (chunk_size == 0)
            loss = SupConAnchorLosses(z, rowIds, temperature, base_temperature, anchors, 0);
        else
        {
            // The chunked custom function (saves z and O(N V) values, recomputes each block in backward); its
            // create_graph backward rebuilds the composite on the saved z.
            var options = new SupConChunkedFunction.Options(temperature, base_temperature, anchors, chunk_size);
            loss = SupConChunkedFunction.Apply(z, rowIds, options,
                (zs, ids) => SupConAnchorLosses(zs, ids, temperature, base_temperature, anchors, chunk_size));
        }
        if (reduction == Reduction.None && contrast_mode == SupConMode.All) loss = loss.reshape(v, n).t();
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The per-anchor losses of the first <paramref name="anchors"/> rows of z (V N, D, normalised, view-major) in
    /// ordinary autograd operations, <paramref name="chunkSize"/> anchors at a time (0: all): the reference form, and
    /// the composite that the chunked function's second-order backward rebuilds. V N &gt;= 2.
    /// </summary>
    private static Tensor SupConAnchorLosses(Tensor z, Tensor rowIds, double temperature, double baseTemperature, long anchors, long chunkSize)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        foreach (var (start, length) in PairMath.Chunks(anchors, chunkSize))
        {
            using var inner = NewDisposeScope();
            // log-softmax over each anchor's candidates (every view but itself): the only float block autograd keeps.
            // The logits are dropped once the log-softmax exists.
            var (logits, positive) = SupConBlock(z, z.t(), rowIds, start, length, temperature);
            var logProb = nn.functional.log_softmax(logits, 1);
            logits.Dispose();
            var count = positive.sum(1).to_type(logProb.dtype).clamp_min(1.0);
            var meanLogProbPos = torch.where(positive, logProb, torch.zeros(new long[0], dtype: logProb.dtype, device: z.device)).sum(1) / count;
            parts.Add((-(temperature / baseTemperature) * meanLogProbPos).MoveToOuterDisposeScope());
        }
        return (parts.Count == 1 ? parts[0] : torch.cat(parts, 0)).MoveToOuterDisposeScope();
    }

    /// <summary>Anchors [start, start + length) of z against every row: the (c, V N) logits <c>z_a . z / t</c> with the
    /// anchors' own entries at -inf, and the bool mask of their positives (the other rows of their label). Shared by
    /// the composite form and both passes of the chunked function.</summary>
    internal static (Tensor Logits, Tensor Positive) SupConBlock(Tensor z, Tensor zt, Tensor rowIds, long start, long length, double temperature)
    {
        var (positive, _) = PairMasks.Of(rowIds.narrow(0, start, length), rowIds, start, withNegative: false);
        var logits = (z.narrow(0, start, length) / temperature).mm(zt);
        PairMasks.FillSelf(logits, start, double.NegativeInfinity);
        return (logits, positive);
    }
}

/// <summary>The supervised contrastive loss as a module <c>forward(features, labels)</c>; see <see cref="Losses.supcon_loss"/>.</summary>
public sealed class SupConLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double temperature;
    private readonly double baseTemperature;
    private readonly SupConMode mode;
    private readonly long chunkSize;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.supcon_loss"/>.</summary>
    public SupConLoss(double temperature = 0.07, double base_temperature = 0.07, SupConMode contrast_mode = SupConMode.All, long chunk_size = 0,
        Reduction reduction = Reduction.Mean) : base(nameof(SupConLoss))
    {
        Check.PositiveFinite(temperature, nameof(SupConLoss), nameof(temperature));
        Check.PositiveFinite(base_temperature, nameof(SupConLoss), nameof(base_temperature));
        Check.ChunkSize(chunk_size, nameof(SupConLoss));
        Reduce.NoBatchMean(reduction, nameof(SupConLoss));
        this.temperature = temperature;
        baseTemperature = base_temperature;
        mode = contrast_mode;
        chunkSize = chunk_size;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor features, Tensor labels) => Losses.supcon_loss(features, labels, temperature, baseTemperature, mode, chunkSize, reduction);

    /// <summary>The loss without labels (SimCLR: the positives are the other views of each sample).</summary>
    /// <param name="features">Features (N, V, D).</param>
    public Tensor forward(Tensor features) => Losses.supcon_loss(features, null, temperature, baseTemperature, mode, chunkSize, reduction);
}

internal sealed class SupConDefinition : LossDefinition
{
    public override string Name => "supcon";
    public override string Family => "contrastive";
    public override string Summary => "Supervised contrastive loss (SupCon, L_out) over V views of N samples; without labels it is SimCLR.";
    public override string Math => "l_i = -(t/t_base) / |P(i)| sum_{p in P(i)} [ z_i.z_p/t - logsumexp_{a != i} z_i.z_a/t ],  z = normalize(features) over all N V views, P(i) = other views of i's label";
    public override string Reference => "Khosla et al. 2020, Supervised Contrastive Learning; Chen et al. 2020 (SimCLR)";
    public override string Function => "Losses.supcon_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("temperature", 0.07, "divides the similarities", min: 0, minExclusive: true),
        ParamSpec.Float("base_temperature", 0.07, "the loss is scaled by temperature / base_temperature", min: 0, minExclusive: true),
        ParamSpec.Choice("contrast_mode", "all", "anchors: every view (all) or the first view of each sample (one)", "all", "one"),
        ParamSpec.Int("chunk_size", 0, "anchors per block of logits; 0: all at once", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("features", "(N, V, D) V views of N samples"),
        InputSpec.Optional("labels", "(N) class labels; absent: SimCLR (each sample its own class)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.supcon_loss(x.Required("features"), x.Optional("labels"), p.Float("temperature"), p.Float("base_temperature"),
            p.Choice("contrast_mode") == "one" ? SupConMode.One : SupConMode.All, p.Int("chunk_size"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,2,4) labels t=0.5", g => new() { ["features"] = Sample.Normal(g, [6, 2, 4]), ["labels"] = Sample.Groups(g, 6, 3) }, ("temperature", "0.5"), ("base_temperature", "0.5"));
        yield return GradcheckCase.Of("(4,3,5) no labels (SimCLR) chunk=5 sum", g => new() { ["features"] = Sample.Normal(g, [4, 3, 5]) }, ("temperature", "0.3"), ("chunk_size", "5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,2,3) mode one none", g => new() { ["features"] = Sample.Normal(g, [5, 2, 3]), ["labels"] = torch.tensor(new long[] { 0, 1, 0, 2, 1 }) },
            ("temperature", "0.2"), ("contrast_mode", "one"), ("reduction", "none"));
        yield return GradcheckCase.Of("(7,2,3) labels, a singleton, chunk=3 mode one none", g => new() { ["features"] = Sample.Normal(g, [7, 2, 3]), ["labels"] = torch.tensor(new long[] { 0, 1, 0, 2, 1, 0, 5 }) },
            ("temperature", "0.4"), ("base_temperature", "0.2"), ("contrast_mode", "one"), ("chunk_size", "3"), ("reduction", "none"));
        yield return GradcheckCase.Of("(5,1,4) one view, a singleton label", g => new() { ["features"] = Sample.Normal(g, [5, 1, 4]), ["labels"] = torch.tensor(new long[] { 3, 3, 1, 1, 7 }) },
            ("temperature", "1"));
        yield return GradcheckCase.Of("(1,3,3) single sample, three views", g => new() { ["features"] = Sample.Normal(g, [1, 3, 3]) }, ("temperature", "0.5"));
    }
}
