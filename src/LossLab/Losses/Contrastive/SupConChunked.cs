using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// The chunked path of <see cref="Losses.supcon_loss"/> as an autograd function of z, the (V N, D) normalised,
/// view-major embeddings: its output is the per-anchor losses (anchors), the reduction is applied outside.
/// </summary>
/// <remarks>
/// <para>Forward: for each chunk of c anchors, the (c, V N) block of logits <c>z_a . z / t</c> with the anchors' own
/// entries at -inf, its row logsumexp <c>lse_i</c>, and <c>l_i = -(t / t_base) / max(|P(i)|, 1) sum_{p in P(i)} (z_i.z_p / t - lse_i)</c>
/// (0 for an anchor without positives). Saved: z (the input, not copied), the row ids, and per anchor its logsumexp and
/// positive count: (V N, D) + O(V N), never a block.</para>
/// <para>Backward: per chunk, the block is recomputed, <c>P = exp(logits - lse)</c> (0 on the anchor itself), and with
/// <c>s_i = grad_i t / t_base</c> the gradient of the logits divided by t,
/// <c>G = s_i (P - M / |P(i)|) / t</c> (M the positives; 0 for anchors without positives), gives
/// <c>dz[anchors] += G z</c> and <c>dz += G^T z[anchors]</c>. One (c, V N) float block, its bool mask and one float
/// copy of the mask exist at a time. A backward in grad mode (<c>create_graph</c>) rebuilds the composite form on the
/// saved z instead, so that second derivatives are exact.</para>
/// </remarks>
internal sealed class SupConChunkedFunction : autograd.SingleTensorFunction<SupConChunkedFunction>
{
    /// <summary>The loss's scalar settings.</summary>
    /// <param name="Temperature">t.</param>
    /// <param name="BaseTemperature">t_base.</param>
    /// <param name="Anchors">The number of anchors (the first rows of z).</param>
    /// <param name="ChunkSize">Anchors per block, &gt; 0.</param>
    internal sealed record Options(double Temperature, double BaseTemperature, long Anchors, long ChunkSize);

    public override string Name => "SupConChunked";

    /// <summary>The per-anchor losses (anchors) of z (V N, D) with row ids (V N); <paramref name="composite"/> is the
    /// same function of (z, row ids) in ordinary autograd operations, for second derivatives (given the saved row ids: the
    /// caller's tensors may be disposed by then).</summary>
    public static Tensor Apply(Tensor z, Tensor rowIds, Options options, Func<Tensor, Tensor, Tensor> composite) =>
        apply(z, rowIds, options, composite);

    public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
    {
        var z = (Tensor)vars[0];
        var rowIds = (Tensor)vars[1];
        var o = (Options)vars[2];
        using var scope = NewDisposeScope();
        var losses = torch.empty(new[] { o.Anchors }, dtype: z.dtype, device: z.device);
        var lse = torch.empty(new[] { o.Anchors }, dtype: z.dtype, device: z.device);
        var count = torch.empty(new[] { o.Anchors }, dtype: z.dtype, device: z.device);
        var zt = z.t();
        foreach (var (start, length) in PairMath.Chunks(o.Anchors, o.ChunkSize))
        {
            using var inner = NewDisposeScope();
            var (block, positive) = Losses.SupConBlock(z, zt, rowIds, start, length, o.Temperature);              // (c, V N) logits, bool
            var rowLse = block.logsumexp(1);
            lse.narrow(0, start, length).copy_(rowLse);
            block.sub_(rowLse.unsqueeze(1));                                                                      // log-probabilities
            block.masked_fill_(positive.logical_not(), 0.0);
            var n = positive.sum(1).to_type(z.dtype);
            count.narrow(0, start, length).copy_(n);
            losses.narrow(0, start, length).copy_(block.sum(1).div_(n.clamp_min(1.0)).mul_(-(o.Temperature / o.BaseTemperature)));
        }
        ctx.save_for_backward(new List<Tensor> { z, rowIds, lse.MoveToOuterDisposeScope(), count.MoveToOuterDisposeScope() });
        ctx.save_data("options", o);
        ctx.save_data("composite", vars[3]);
        return losses.MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var saved = ctx.get_saved_variables();
        Tensor z = saved[0], rowIds = saved[1], lse = saved[2], count = saved[3];
        var o = (Options)ctx.get_data("options");
        using var scope = NewDisposeScope();
        Tensor dz;
        if (torch.is_grad_enabled())
        {
            // create_graph: the gradient must itself be differentiable; take it from the composite form on the saved z
            var composite = (Func<Tensor, Tensor, Tensor>)ctx.get_data("composite");
            var loss = composite(z, rowIds);
            dz = torch.autograd.grad(new List<Tensor> { loss }, new List<Tensor> { z }, new List<Tensor> { grad_output }, retain_graph: true, create_graph: true)[0];
        }
        else
        {
            double t = o.Temperature;
            var s = grad_output.to_type(z.dtype) * (t / o.BaseTemperature);                 // (anchors)
            var onP = s * count.gt(0).to_type(z.dtype) / t;                                 // anchors without positives: 0
            var onM = s / (count.clamp_min(1.0) * t);
            dz = torch.zeros_like(z);
            var zt = z.t();
            foreach (var (start, length) in PairMath.Chunks(o.Anchors, o.ChunkSize))
            {
                using var inner = NewDisposeScope();
                var za = z.narrow(0, start, length);
                var (block, positive) = Losses.SupConBlock(z, zt, rowIds, start, length, t);  // (c, V N) logits, as forward
                block.sub_(lse.narrow(0, start, length).unsqueeze(1)).exp_();                 // P, 0 on the anchor itself
                block.mul_(onP.narrow(0, start, length).unsqueeze(1));
                var m = positive.to_type(z.dtype);
                positive.Dispose();
                block.sub_(m.mul_(onM.narrow(0, start, length).unsqueeze(1)));                // G
                m.Dispose();
                dz.narrow(0, start, length).addmm_(block, z);
                dz.addmm_(block.t(), za);
            }
        }
        return new List<Tensor> { dz.MoveToOuterDisposeScope(), null!, null!, null! };
    }
}
