using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LossLab.Training.Models;

/// <summary>
/// ResNets for 32 x 32 images as used on CIFAR (He et al. 2016, in the CIFAR form of the IQ Loss and focal-calibration
/// papers): a 3 x 3 stem of 64 channels with no max-pooling, four stages of 64, 128, 256, 512 channels (strides 1, 2, 2,
/// 2) of basic blocks (ResNet-18, -34) or bottleneck blocks (ResNet-50), global average pooling and a linear classifier.
/// TorchSharp's own resnet* are the ImageNet variants (7 x 7 stem and max-pool), which lose too much resolution at 32 x 32.
/// </summary>
public sealed class CifarResNet : Module<Tensor, Tensor>
{
    private readonly Sequential stem;
    private readonly Sequential stages;
    private readonly Linear fc;

    /// <summary>ResNet-18: basic blocks [2, 2, 2, 2]; 11,173,962 parameters for 10 classes.</summary>
    public static CifarResNet ResNet18(int numClasses = 10, int inChannels = 3) => new(false, [2, 2, 2, 2], numClasses, inChannels);

    /// <summary>ResNet-34: basic blocks [3, 4, 6, 3]; 21,282,122 parameters for 10 classes.</summary>
    public static CifarResNet ResNet34(int numClasses = 10, int inChannels = 3) => new(false, [3, 4, 6, 3], numClasses, inChannels);

    /// <summary>ResNet-50: bottleneck blocks [3, 4, 6, 3]; 23,520,842 parameters for 10 classes.</summary>
    public static CifarResNet ResNet50(int numClasses = 10, int inChannels = 3) => new(true, [3, 4, 6, 3], numClasses, inChannels);

    private CifarResNet(bool bottleneck, int[] blocks, int numClasses, int inChannels) : base(nameof(CifarResNet))
    {
        stem = Sequential(("conv", Conv2d(inChannels, 64, 3, padding: 1, bias: false)), ("bn", BatchNorm2d(64)), ("relu", ReLU()));
        int expansion = bottleneck ? 4 : 1;
        long inPlanes = 64;
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        int[] planes = [64, 128, 256, 512];
        for (int s = 0; s < 4; s++)
        {
            for (int b = 0; b < blocks[s]; b++)
            {
                long stride = b == 0 && s > 0 ? 2 : 1;
                Module<Tensor, Tensor> block = bottleneck
                    ? new Bottleneck(inPlanes, planes[s], stride)
                    : new BasicBlock(inPlanes, planes[s], stride);
                layers.Add(($"layer{s + 1}_{b}", block));
                inPlanes = planes[s] * expansion;
            }
        }
        stages = Sequential(layers);
        fc = Linear(512 * expansion, numClasses);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var h = stages.forward(stem.forward(input));
        h = functional.adaptive_avg_pool2d(h, 1).flatten(1);
        return fc.forward(h).MoveToOuterDisposeScope();
    }

    private sealed class BasicBlock : Module<Tensor, Tensor>
    {
        private readonly Sequential body;
        private readonly Module<Tensor, Tensor> shortcut;

        public BasicBlock(long inPlanes, long planes, long stride) : base(nameof(BasicBlock))
        {
            body = Sequential(
                ("conv1", Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false)), ("bn1", BatchNorm2d(planes)), ("relu", ReLU()),
                ("conv2", Conv2d(planes, planes, 3, padding: 1, bias: false)), ("bn2", BatchNorm2d(planes)));
            shortcut = stride != 1 || inPlanes != planes
                ? Sequential(("conv", Conv2d(inPlanes, planes, 1, stride: stride, bias: false)), ("bn", BatchNorm2d(planes)))
                : Identity();
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => functional.relu(body.forward(x) + shortcut.forward(x));
    }

    private sealed class Bottleneck : Module<Tensor, Tensor>
    {
        private readonly Sequential body;
        private readonly Module<Tensor, Tensor> shortcut;

        public Bottleneck(long inPlanes, long planes, long stride) : base(nameof(Bottleneck))
        {
            long outPlanes = planes * 4;
            body = Sequential(
                ("conv1", Conv2d(inPlanes, planes, 1, bias: false)), ("bn1", BatchNorm2d(planes)), ("relu1", ReLU()),
                ("conv2", Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false)), ("bn2", BatchNorm2d(planes)), ("relu2", ReLU()),
                ("conv3", Conv2d(planes, outPlanes, 1, bias: false)), ("bn3", BatchNorm2d(outPlanes)));
            shortcut = stride != 1 || inPlanes != outPlanes
                ? Sequential(("conv", Conv2d(inPlanes, outPlanes, 1, stride: stride, bias: false)), ("bn", BatchNorm2d(outPlanes)))
                : Identity();
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => functional.relu(body.forward(x) + shortcut.forward(x));
    }
}
