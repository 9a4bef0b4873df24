using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Flow matching in its rectified-flow form (Liu et al. 2022; Lipman et al. 2023, conditional flow matching): at
    /// <c>x_t = (1 - t) x0 + t x1</c> the network predicts a velocity and the loss is, per sample, the mean over its elements
    /// of <c>(v_theta(x_t, t) - (x1 - x0))^2</c>, optionally times a per-sample weight.
    /// </summary>
    /// <remarks>
    /// x0 is the source (usually Gaussian noise), x1 the data; sampling integrates <c>dx/dt = v_theta</c> from t = 0 to 1.
    /// With <paramref name="sigma_min"/> &gt; 0 the path is Lipman et al.'s optimal-transport path
    /// <c>x_t = (1 - (1 - sigma_min) t) x0 + t x1</c> with target <c>x1 - (1 - sigma_min) x0</c>.
    /// <see cref="Diffusion.FlowInterpolate"/> and <see cref="Diffusion.FlowVelocity"/> build x_t and the target.
    /// <code>
    /// var x0 = torch.randn_like(x1);
    /// var t = torch.rand(n, dtype: x1.dtype);
    /// var xt = Diffusion.FlowInterpolate(x0, x1, t);
    /// var loss = Losses.flow_matching_loss(model.forward(xt, t), x0, x1);
    /// </code>
    /// </remarks>
    /// <param name="input">The predicted velocity v_theta(x_t, t), (N, ...).</param>
    /// <param name="x0">The source samples (noise), the shape of <paramref name="input"/>.</param>
    /// <param name="x1">The target samples (data), the shape of <paramref name="input"/>.</param>
    /// <param name="sigma_min">The optimal-transport path's final noise level, in [0, 1) (0: rectified flow).</param>
    /// <param name="weight">Optional per-sample weights, (N).</param>
    /// <param name="reduction">none: per-sample losses (N); mean over the batch; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor flow_matching_loss(Tensor input, Tensor x0, Tensor x1, double sigma_min = 0.0, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "flow_matching_loss";
        DenoisingCommon.CheckPair(input, x0, name, nameof(x0));
        Check.ElementwisePair(input, x1, name, "input", nameof(x1));
        Check.Param(sigma_min >= 0 && sigma_min < 1, name, nameof(sigma_min), "in [0, 1)", sigma_min);
        DenoisingCommon.CheckWeightAndReduction(input, weight, reduction, name, (x0, nameof(x0)), (x1, nameof(x1)));

        using var scope = NewDisposeScope();
        var target = sigma_min == 0 ? x1 - x0 : x1 - (1 - sigma_min) * x0;
        return DenoisingCommon.WeightedSampleMse(input, target, weight, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The flow-matching loss as a module; see <see cref="Losses.flow_matching_loss"/>. <c>forward(velocity, x0, x1)</c>.</summary>
public sealed class FlowMatchingLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly double sigmaMin;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.flow_matching_loss"/>.</summary>
    public FlowMatchingLoss(double sigma_min = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(FlowMatchingLoss))
    {
        Check.Param(sigma_min >= 0 && sigma_min < 1, nameof(FlowMatchingLoss), nameof(sigma_min), "in [0, 1)", sigma_min);
        Reduce.NoBatchMean(reduction, nameof(FlowMatchingLoss));
        sigmaMin = sigma_min;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor x0, Tensor x1) => Losses.flow_matching_loss(input, x0, x1, sigmaMin, null, reduction);
}

internal sealed class FlowMatchingDefinition : LossDefinition
{
    public override string Name => "flow_matching";
    public override string Family => "generative";
    public override string Summary => "Flow matching / rectified flow: per-sample mean squared error of the predicted velocity to x1 - x0.";
    public override string Math => "l_i = w_i * mean_j (input_ij - (x1_ij - (1 - sigma_min) x0_ij))^2, at x_t = (1 - (1 - sigma_min) t) x0 + t x1";
    public override string Reference => "Liu, Gong, Liu 2022, Flow Straight and Fast (rectified flow); Lipman et al. 2023, Flow Matching for Generative Modeling";
    public override string Function => "Losses.flow_matching_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("sigma_min", 0.0, "final noise level of the optimal-transport path (0: rectified flow)", min: 0, max: 1, maxExclusive: true),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, ...) predicted velocity v(x_t, t)"),
        InputSpec.Data("x0", "(N, ...) source samples (noise)"),
        InputSpec.Data("x1", "(N, ...) target samples (data)"),
        DenoisingCommon.WeightInput,
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.flow_matching_loss(x.Required("input"), x.Required("x0"), x.Required("x1"), p.Float("sigma_min"), x.Optional("weight"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long[] shape, bool weighted) =>
            DenoisingCommon.GradcheckInputs(shape, weighted, alphaBar: false, "input", "x0", "x1");
        yield return GradcheckCase.Of("(4,3) mean", Make([4, 3], false));
        yield return GradcheckCase.Of("(3,2,2) sigma_min=0.1 weighted none", Make([3, 2, 2], true), ("sigma_min", "0.1"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) sum", Make([1, 5], false), ("reduction", "sum"));
    }
}
