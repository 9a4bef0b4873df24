using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Classification;

/// <summary>
/// References for the large-vocabulary losses: the composite cross-entropy on materialised logits, written here from
/// PyTorch's formula with libtorch's log_softmax (so that autograd differentiates it independently of the library), and
/// autograd gradients of several leaves.
/// </summary>
internal static class LargeVocabularyRef
{
    /// <summary>
    /// PyTorch's class-index cross-entropy: per row <c>(1 - eps) w[y] (-logp[y]) + eps / V sum_c w[c] (-logp[c])</c>,
    /// 0 on ignored rows; mean divides by <c>sum w[y]</c> over kept rows.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Tensor? weight, long ignore, double eps, Reduction reduction)
    {
        long v = logits.shape[1];
        var logp = nn.functional.log_softmax(logits, 1);
        var valid = target.ne(ignore);
        var safe = torch.where(valid, target, torch.zeros_like(target));
        var w = weight ?? torch.ones(v, dtype: logits.dtype);
        var wy = w.index_select(0, safe) * valid.to_type(logits.dtype);
        var nll = -logp.gather(1, safe.unsqueeze(1)).squeeze(1) * wy;
        var smooth = -(logp * w.unsqueeze(0)).sum(1);
        var per = torch.where(valid, (1 - eps) * nll + eps / v * smooth, torch.zeros_like(nll));
        return reduction switch
        {
            Reduction.None => per,
            Reduction.Sum => per.sum(),
            _ => per.sum() / wy.sum(),
        };
    }

    /// <summary>The gradients of <c>sum(f() * v)</c> (v fixed, so that reduction none gets a non-uniform incoming gradient) with respect to <paramref name="leaves"/>.</summary>
    public static Tensor[] Grads(Func<Tensor> f, Tensor v, params Tensor[] leaves)
    {
        var y = (f() * v).sum();
        return torch.autograd.grad(new List<Tensor> { y }, leaves.ToList(), allow_unused: true).ToArray();
    }

    /// <summary>A fixed positive incoming gradient of the output's shape.</summary>
    public static Tensor Upstream(Tensor output, int seed) =>
        torch.rand(output.shape, dtype: ScalarType.Float64, generator: new Generator((ulong)seed)).to_type(output.dtype) + 0.5;

    /// <summary>A leaf copy that requires a gradient.</summary>
    public static Tensor Leaf(Tensor t) => t.detach().clone().requires_grad_(true);
}
