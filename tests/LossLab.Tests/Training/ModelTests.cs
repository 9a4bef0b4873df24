using LossLab.Training.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

public class ModelTests
{
    // Published parameter counts of the CIFAR models for 10 classes (kuangliu/pytorch-cifar for the ResNets,
    // Zagoruyko and Komodakis 2016 for WRN-28-10: 36.5M).
    [Theory]
    [InlineData("resnet18", 11_173_962L)]
    [InlineData("resnet34", 21_282_122L)]
    [InlineData("resnet50", 23_520_842L)]
    [InlineData("wrn28_10", 36_479_194L)]
    public void ParameterCountsMatchThePublishedOnes(string name, long count)
    {
        using var model = ModelCatalog.Create(name, 3, 32, 10);
        Assert.Equal(count, ModelCatalog.ParameterCount(model));
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("wrn_16_2")]
    public void CifarModelsMapImagesToLogits(string name)
    {
        using var model = ModelCatalog.Create(name, 3, 32, 7);
        model.eval();
        using var x = torch.randn(2, 3, 32, 32);
        using var y = model.forward(x);
        Assert.Equal(new long[] { 2, 7 }, y.shape);
    }

    [Fact]
    public void TheSmallCnnFitsFashionMnistShapes()
    {
        using var model = ModelCatalog.Create("small_cnn", 1, 28, 10);
        using var y = model.forward(torch.randn(3, 1, 28, 28));
        Assert.Equal(new long[] { 3, 10 }, y.shape);
        // conv1 288, bn1 64, conv2 18432, bn2 128, fc1 3136*128+128, fc2 128*10+10
        Assert.Equal(288 + 64 + 18432 + 128 + 3136 * 128 + 128 + 1290, ModelCatalog.ParameterCount(model));
    }

    [Fact]
    public void UnknownModelsSayWhatExists()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelCatalog.Create("resnet19", 3, 32, 10));
        Assert.Contains("resnet18", e.Message);
    }
}
