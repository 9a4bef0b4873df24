using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LossLab.Training.Models;

/// <summary>
/// Wide residual network WRN-d-k (Zagoruyko and Komodakis 2016) for 32 x 32 images: a 3 x 3 stem of 16 channels, three
/// groups of (d - 4) / 6 pre-activation basic blocks of 16k, 32k, 64k channels (strides 1, 2, 2), optional dropout
/// between the convolutions of a block, BN-ReLU, global average pooling and a linear classifier. WRN-28-10 has
/// 36,479,194 parameters for 10 classes.
/// </summary>
public sealed class WideResNet : Module<Tensor, Tensor>
{
    private readonly Conv2d stem;
    private readonly Sequential groups;
    private readonly BatchNorm2d bn;
    private readonly Linear fc;

    /// <summary>Creates WRN-depth-widen.</summary>
    /// <param name="depth">Total depth; (depth - 4) must be divisible by 6 (28 for WRN-28-10).</param>
    /// <param name="widen">Widening factor k (10 for WRN-28-10).</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="dropout">Dropout probability inside blocks (0: none).</param>
    /// <param name="inChannels">Input channels.</param>
    public WideResNet(int depth = 28, int widen = 10, int numClasses = 10, double dropout = 0.0, int inChannels = 3) : base(nameof(WideResNet))
    {
        if (depth < 10 || (depth - 4) % 6 != 0) throw new ArgumentOutOfRangeException(nameof(depth), depth, "WideResNet: depth must be 6n + 4 (e.g. 16, 22, 28, 40)");
        if (widen < 1) throw new ArgumentOutOfRangeException(nameof(widen), widen, "WideResNet: widen must be at least 1");
        int n = (depth - 4) / 6;
        long[] widths = [16, 16 * widen, 32 * widen, 64 * widen];
        stem = Conv2d(inChannels, widths[0], 3, padding: 1, bias: false);
        var blocks = new List<(string, Module<Tensor, Tensor>)>();
        long inPlanes = widths[0];
        for (int g = 0; g < 3; g++)
        {
            for (int b = 0; b < n; b++)
            {
                long stride = b == 0 && g > 0 ? 2 : 1;
                blocks.Add(($"group{g + 1}_{b}", new PreActBlock(inPlanes, widths[g + 1], stride, dropout)));
                inPlanes = widths[g + 1];
            }
        }
        groups = Sequential(blocks);
        bn = BatchNorm2d(widths[3]);
        fc = Linear(widths[3], numClasses);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var h = functional.relu(bn.forward(groups.forward(stem.forward(input))));
        return fc.forward(functional.adaptive_avg_pool2d(h, 1).flatten(1)).MoveToOuterDisposeScope();
    }

    private sealed class PreActBlock : Module<Tensor, Tensor>
    {
        private readonly BatchNorm2d bn1, bn2;
        private readonly Conv2d conv1, conv2;
        private readonly Module<Tensor, Tensor>? shortcut;
        private readonly Dropout? drop;

        public PreActBlock(long inPlanes, long planes, long stride, double dropout) : base(nameof(PreActBlock))
        {
            bn1 = BatchNorm2d(inPlanes);
            conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
            if (dropout > 0) drop = Dropout(dropout);
            if (stride != 1 || inPlanes != planes) shortcut = Conv2d(inPlanes, planes, 1, stride: stride, bias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var o = functional.relu(bn1.forward(x));
            var skip = shortcut is null ? x : shortcut.forward(o);
            var h = conv1.forward(o);
            h = functional.relu(bn2.forward(h));
            if (drop is not null) h = drop.forward(h);
            return conv2.forward(h) + skip;
        }
    }
}
