using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The forward-dynamics (latent prediction) loss (Pathak et al. 2017, ICM's forward model, equation 5): a model f
    /// predicts the next state's features from the current features and the action, and is scored by
    /// <c>l = 1/2 ||f(phi(s_t), a_t) - sg(phi(s_{t+1}))||^2</c>, summed over the features, with the target features held
    /// constant (the held term <c>next_features</c>) unless <paramref name="hold_features"/> is false.
    /// </summary>
    /// <remarks>
    /// <para>Holding the target keeps the encoder from lowering the loss by collapsing its features onto a constant (all
    /// features equal predict each other perfectly); train phi with another loss (<see cref="inverse_dynamics_loss"/> in
    /// ICM, a reconstruction or contrastive loss elsewhere). With <paramref name="hold_features"/> = false the gradient also
    /// reaches phi(s_{t+1}), as in ICM's TensorFlow code. The same error, scaled by eta, is ICM's curiosity reward
    /// (<see cref="IntrinsicReward.Icm"/>); <see cref="icm_loss"/> is <c>(1 - beta)</c> inverse plus <c>beta</c> this loss.</para>
    /// <code>
    /// var predicted = forwardModel.forward(torch.cat(new[] { phiT, actionOneHot }, 1));
    /// var loss = Losses.forward_dynamics_loss(predicted, phiNext);
    /// </code>
    /// </remarks>
    /// <param name="predicted_features">The forward model's prediction of phi(s_{t+1}), (N, F) or (N, ...).</param>
    /// <param name="next_features">The encoder's phi(s_{t+1}), the shape of <paramref name="predicted_features"/>.</param>
    /// <param name="hold_features">Hold phi(s_{t+1}) constant (the default and the paper's).</param>
    /// <param name="reduction">none: per-transition losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor forward_dynamics_loss(Tensor predicted_features, Tensor next_features, bool hold_features = true, Reduction reduction = Reduction.Mean)
    {
        const string name = "forward_dynamics_loss";
        IntrinsicReward.CheckFeatures(predicted_features, next_features, name, nameof(next_features));
        Check.HasSamples(predicted_features, name, nameof(predicted_features));
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var target = hold_features ? Surrogate.Hold("next_features", next_features) : next_features;
        var perSample = IntrinsicReward.SquaredErrorPerSample(predicted_features, target, mean: false) * 0.5;
        return Reduce.Apply(perSample, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The forward-dynamics loss as a module; see <see cref="Losses.forward_dynamics_loss"/>. <c>forward(predicted_features, next_features)</c>.</summary>
public sealed class ForwardDynamicsLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly bool holdFeatures;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.forward_dynamics_loss"/>.</summary>
    public ForwardDynamicsLoss(bool hold_features = true, Reduction reduction = Reduction.Mean) : base(nameof(ForwardDynamicsLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(ForwardDynamicsLoss));
        holdFeatures = hold_features;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor predicted_features, Tensor next_features) => Losses.forward_dynamics_loss(predicted_features, next_features, holdFeatures, reduction);
}

internal sealed class ForwardDynamicsDefinition : LossDefinition
{
    public override string Name => "forward_dynamics";
    public override string Family => Rl.Family;
    public override string Summary => "Forward dynamics in latent space (ICM's forward model): 1/2 ||f(phi(s), a) - sg(phi(s'))||^2, target features held by option.";
    public override string Math => "l_i = 1/2 sum_f (predicted_features_if - sg(next_features_if))^2   (hold_features=false: no sg)";
    public override string Reference => "Pathak, Agrawal, Efros, Darrell 2017, Curiosity-driven Exploration by Self-supervised Prediction (forward model)";
    public override string Function => "Losses.forward_dynamics_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["next_features"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Bool("hold_features", true, "hold phi(s_{t+1}) constant (false: the gradient reaches the target features too)"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("predicted_features", "(N, F) forward model's prediction of phi(s_{t+1})"),
        InputSpec.Grad("next_features", "(N, F) phi(s_{t+1}); held unless hold_features=false"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.forward_dynamics_loss(x.Required("predicted_features"), x.Required("next_features"), p.Bool("hold_features"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(params long[] shape) => g => new() { ["predicted_features"] = Sample.Normal(g, shape), ["next_features"] = Sample.Normal(g, shape) };
        yield return GradcheckCase.Of("(6,4) held mean", Make(6, 4));
        yield return GradcheckCase.Of("(4,2,3) held none", Make(4, 2, 3), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) sum", Make(1, 5), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,3) not held", Make(5, 3), ("hold_features", "false"));
    }
}
