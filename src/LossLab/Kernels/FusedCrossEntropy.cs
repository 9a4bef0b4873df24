using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>
/// Cross-entropy with class-index targets (and label smoothing) as one fused CPU kernel: for each row, the maximum,
/// <c>exp(x - max)</c> written straight into the gradient buffer, its sum, then the buffer scaled into
/// <c>softmax - target distribution</c>. The logits are read from memory once and the gradient written once (the row
/// stays in cache between the passes); backward returns the saved gradient, scaled only when the incoming gradient
/// is not 1. Rows are split across cores.
/// </summary>
internal static class FusedCrossEntropy
{
    /// <summary>Whether the kernel applies to these arguments.</summary>
    public static bool Applies(Tensor input, Tensor target, Tensor? weight, long ignoreIndex, bool probabilities)
    {
        if (!FusedKernels.Enabled || probabilities || weight is not null) return false;
        if (input.dim() != 2 || target.dim() != 1 || input.device_type != DeviceType.CPU) return false;
        if (input.dtype != ScalarType.Float32 && input.dtype != ScalarType.Float64) return false;
        if (input.shape[1] < FusedKernels.MinClasses || input.shape[0] == 0) return false;
        using var any = target.eq(ignoreIndex).any();
        return !any.item<bool>();
    }

    /// <summary>The loss (reduced as asked) with the fused gradient attached.</summary>
    public static Tensor Apply(Tensor input, Tensor target, double smoothing, Reduction reduction) =>
        Function.apply(input, target, smoothing, reduction);

    private sealed class Function : autograd.SingleTensorFunction<Function>
    {
        public override string Name => "FusedCrossEntropy";

        public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
        {
            var input = (Tensor)vars[0];
            var target = (Tensor)vars[1];
            double smoothing = (double)vars[2];
            var reduction = (Reduction)vars[3];
            using var x = input.detach().contiguous();
            using var y = target.to_type(ScalarType.Int64).contiguous();
            long n = x.shape[0], c = x.shape[1];
            // the mean's 1/N is folded into the saved gradient, so that backward with grad_output 1 copies nothing
            double scale = reduction == Reduction.Mean ? 1.0 / n : 1.0;
            var grad = torch.empty_like(x);
            var losses = torch.empty(new[] { n }, dtype: ScalarType.Float64);
            if (x.dtype == ScalarType.Float32) RunFloat(x, y, grad, losses, n, c, smoothing, scale);
            else RunDouble(x, y, grad, losses, n, c, smoothing, scale);
            ctx.save_for_backward(new List<Tensor> { grad });
            ctx.save_data("reduction", reduction);
            ctx.save_data("n", n);
            Tensor result = reduction switch
            {
                Reduction.None => losses.to_type(x.dtype),
                Reduction.Sum => losses.sum().to_type(x.dtype),
                _ => (losses.sum() / n).to_type(x.dtype),
            };
            losses.Dispose();
            return result;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            var grad = ctx.get_saved_variables()[0];
            var reduction = (Reduction)ctx.get_data("reduction");
            Tensor gi;
            if (reduction == Reduction.None) gi = grad * grad_output.to_type(grad.dtype).unsqueeze(1);
            else if (grad_output.numel() == 1 && grad_output.to_type(ScalarType.Float64).item<double>() == 1.0) gi = grad.alias();
            else gi = grad * grad_output.to_type(grad.dtype);
            return new List<Tensor> { gi, null!, null!, null! };
        }

        private static unsafe void RunFloat(Tensor x, Tensor y, Tensor grad, Tensor losses, long n, long c, double smoothing, double scale) =>
            Run(Native.Ptr<float>(x), Native.Ptr<float>(grad), Native.Ptr<long>(y), Native.Ptr<double>(losses), n, c, smoothing, scale);

        private static unsafe void RunDouble(Tensor x, Tensor y, Tensor grad, Tensor losses, long n, long c, double smoothing, double scale) =>
            Run(Native.Ptr<double>(x), Native.Ptr<double>(grad), Native.Ptr<long>(y), Native.Ptr<double>(losses), n, c, smoothing, scale);

        /// <summary>The kernel for float or double rows; the loss is accumulated in double.</summary>
        private static unsafe void Run<T>(T* px, T* pg, long* py, double* pl, long n, long c, double smoothing, double scale)
            where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            int cols = checked((int)c);
            T onTarget = T.CreateTruncating(scale * (1 - smoothing)), uniform = T.CreateTruncating(scale * smoothing / c);
            Rows(n, cols, (lo, hi) =>
            {
                for (long i = lo; i < hi; i++)
                {
                    var row = new ReadOnlySpan<T>(px + i * c, cols);
                    var g = new Span<T>(pg + i * c, cols);
                    T max = TensorPrimitives.Max(row);
                    TensorPrimitives.Subtract(row, max, g);
                    TensorPrimitives.Exp(g, g);
                    double sum = double.CreateTruncating(TensorPrimitives.Sum<T>(g));
                    double lse = double.CreateTruncating(max) + Math.Log(sum);
                    long t = py[i];
                    double loss = lse - (1 - smoothing) * double.CreateTruncating(row[(int)t]);
                    if (smoothing > 0) loss -= smoothing * double.CreateTruncating(TensorPrimitives.Sum(row)) / c;
                    pl[i] = loss;
                    TensorPrimitives.Multiply(g, T.CreateTruncating(scale / sum), g);
                    if (uniform != T.Zero) TensorPrimitives.Add(g, -uniform, g);
                    g[(int)t] -= onTarget;
                }
            });
        }

        /// <summary>Splits rows into chunks of about 64k elements across the cores (serial for small inputs).</summary>
        private static void Rows(long n, int cols, Action<long, long> body)
        {
            long perChunk = Math.Max(1, (1 << 16) / Math.Max(1, cols));
            long chunks = (n + perChunk - 1) / perChunk;
            if (chunks <= 1) { body(0, n); return; }
            System.Threading.Tasks.Parallel.For(0, chunks, k => body(k * perChunk, Math.Min(n, (k + 1) * perChunk)));
        }
    }
}
