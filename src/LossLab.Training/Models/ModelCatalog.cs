using static TorchSharp.torch;

namespace LossLab.Training.Models;

/// <summary>Creates models by name: small_cnn, resnet18, resnet34, resnet50, wrn28_10 (or wrn-D-K).</summary>
public static class ModelCatalog
{
    /// <summary>The model names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["small_cnn", "resnet18", "resnet34", "resnet50", "wrn28_10"];

    /// <summary>Creates a model for inputs of the given channels and size.</summary>
    /// <exception cref="ArgumentException">An unknown name, or a model that does not fit the input size.</exception>
    public static nn.Module<Tensor, Tensor> Create(string name, int inChannels, int imageSize, int numClasses)
    {
        string n = name.Trim().ToLowerInvariant().Replace('-', '_');
        switch (n)
        {
            case "small_cnn": return new SmallCnn(inChannels, numClasses, imageSize);
            case "resnet18": return CifarResNet.ResNet18(numClasses, inChannels);
            case "resnet34": return CifarResNet.ResNet34(numClasses, inChannels);
            case "resnet50": return CifarResNet.ResNet50(numClasses, inChannels);
        }
        if (n.StartsWith("wrn", StringComparison.Ordinal))
        {
            var parts = n[3..].Trim('_').Split('_');
            if (parts.Length == 2 && int.TryParse(parts[0], out int depth) && int.TryParse(parts[1], out int widen))
                return new WideResNet(depth, widen, numClasses, 0.0, inChannels);
        }
        throw new ArgumentException($"unknown model '{name}'; models: {string.Join(", ", Names)} (or wrn_DEPTH_WIDEN)", nameof(name));
    }

    /// <summary>The number of trainable parameters of a module.</summary>
    public static long ParameterCount(nn.Module module) => module.parameters().Sum(p => p.numel());
}
