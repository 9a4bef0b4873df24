using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Regularization;

public class PenalizedParametersTests
{
    [Fact]
    public void DefaultExclusionSkipsBiasesAndEveryNormalisationLayer()
    {
        var model = RegularizationModels.Build();
        Assert.Equal(RegularizationModels.Kept, PenalizedParameters.Select(model).Select(p => p.name).ToArray());
        var skip = PenalizedParameters.DefaultExclusion(model);
        Assert.True(skip("fc1.bias"));
        Assert.True(skip("bn.weight"));
        Assert.True(skip("ln.weight"));
        Assert.True(skip("block.gn.weight"));
        Assert.False(skip("fc2.weight"));
    }

    [Fact]
    public void ACustomExclusionReplacesTheDefault()
    {
        var model = RegularizationModels.Build();
        Assert.Equal(RegularizationModels.AllNames(model), PenalizedParameters.Select(model, _ => false).Select(p => p.name).ToArray());
        var skip = PenalizedParameters.DefaultExclusion(model);
        Assert.Equal(["fc1.weight", "fc2.weight"], PenalizedParameters.Select(model, n => skip(n) || n.StartsWith("block")).Select(p => p.name).ToArray());
    }

    [Fact]
    public void ParameterListsSkipOnlyBiasesByDefault()
    {
        var model = RegularizationModels.Build();
        var names = PenalizedParameters.Select(model.named_parameters()).Select(p => p.name).ToArray();
        Assert.Equal(RegularizationModels.AllNames(model).Where(n => !n.EndsWith("bias")).ToArray(), names);
    }

    [Fact]
    public void ANormalisationLayerAsTheRootIsRecognised()
    {
        Assert.Empty(PenalizedParameters.Select(nn.BatchNorm2d(3)));
        Assert.Empty(PenalizedParameters.Select(nn.InstanceNorm1d(3, affine: true)));
        Assert.True(PenalizedParameters.IsNormalization(nn.GroupNorm(2, 4)));
        Assert.False(PenalizedParameters.IsNormalization(nn.Linear(2, 2)));
    }
}
