using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The Wasserstein-1 gradient penalty of IQ-Learn (<c>grad_pen</c>, <c>lambda_gp</c>) for a classifier trained with
    /// IQ Loss: <c>lambda_gp * mean_i (||d r_{y_i}(x^_i) / d x^_i||_2 - 1)^2</c>, where <c>x^_i = e_i x_i + (1 - e_i) x_{pi(i)}</c>
    /// interpolates each input with another input of the batch (pi a random permutation, e_i ~ U(0, 1)), as WGAN-GP
    /// interpolates real and generated samples, and <c>r_y</c> is the logit (reward) of sample i's own class.
    /// </summary>
    /// <remarks>
    /// It needs the model and its input, so it belongs in the training step, not in the bare loss: add it to
    /// <see cref="iq_loss"/>'s value. The penalty is built with <c>create_graph</c>, so it trains the model's parameters.
    /// <code>
    /// var loss = Losses.iq_loss(model.forward(x), y, Divergence.JensenShannon)
    ///          + Losses.iq_gradient_penalty(model.forward, x, y, lambda_gp: 10);
    /// </code>
    /// </remarks>
    /// <param name="model">Maps a batch of inputs (N, ...) to logits (N, C).</param>
    /// <param name="input">The batch of inputs, floating, (N, ...).</param>
    /// <param name="target">Class indices, (N).</param>
    /// <param name="lambda_gp">The penalty's weight, at least 0.</param>
    /// <param name="generator">Random source for the permutation and the mixing weights (null: the global one).</param>
    public static Tensor iq_gradient_penalty(Func<Tensor, Tensor> model, Tensor input, Tensor target, double lambda_gp = 10.0, Generator? generator = null)
    {
        const string name = "iq_gradient_penalty";
        ArgumentNullException.ThrowIfNull(model);
        Check.Floating(input, name, nameof(input));
        Check.MinRank(input, name, nameof(input), 1);
        Check.Rank(target, name, nameof(target), 1);
        Check.Integer(target, name, nameof(target));
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        Check.Param(lambda_gp >= 0 && double.IsFinite(lambda_gp), name, nameof(lambda_gp), "a finite number >= 0", lambda_gp);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));

        using var scope = NewDisposeScope();
        long n = input.shape[0];
        var perm = torch.randperm(n, generator: generator, device: input.device);
        var shape = new long[input.dim()];
        shape[0] = n;
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        var e = torch.rand(shape, dtype: input.dtype, generator: generator, device: input.device);
        var mixed = (e * input.detach() + (1 - e) * input.detach().index_select(0, perm)).requires_grad_(true);
        var logits = model(mixed);
        Check.Rank(logits, name, "model(input)", 2);
        Check.ClassIndices(target, logits.shape[1], name, nameof(target));
        var q = logits.gather(1, target.unsqueeze(1)).sum();
        var grad = torch.autograd.grad(new List<Tensor> { q }, new List<Tensor> { mixed }, retain_graph: true, create_graph: true)[0];
        var norms = grad.reshape(n, -1).norm(1);
        return ((norms - 1).square().mean() * lambda_gp).MoveToOuterDisposeScope();
    }
}
