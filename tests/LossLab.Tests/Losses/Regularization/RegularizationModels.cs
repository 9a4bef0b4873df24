using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Regularization;

/// <summary>A small model with linear layers, biases and every kind of normalisation layer, for the penalty tests.</summary>
internal static class RegularizationModels
{
    /// <summary>Names of its parameters the default exclusion keeps (the linear weights).</summary>
    public static readonly string[] Kept = ["fc1.weight", "fc2.weight", "block.lin.weight"];

    /// <summary>fc1 Linear(3, 4), bn BatchNorm1d(4), act ReLU, fc2 Linear(4, 2), ln LayerNorm(2), block { lin Linear(2, 2), gn GroupNorm(1, 2) }.</summary>
    public static Sequential Build()
    {
        var model = nn.Sequential(
            ("fc1", nn.Linear(3, 4)),
            ("bn", nn.BatchNorm1d(4)),
            ("act", nn.ReLU()),
            ("fc2", nn.Linear(4, 2)),
            ("ln", nn.LayerNorm(2)),
            ("block", nn.Sequential(("lin", nn.Linear(2, 2)), ("gn", nn.GroupNorm(1, 2)))));
        // give the norm layers' weights and biases values other than 1 and 0, so that including them would show
        using (torch.no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (!name.StartsWith("fc") && !name.StartsWith("block.lin")) p.copy_(torch.rand(p.shape) + 0.5);   // the tests read the values back, so no seed is needed
        return model;
    }

    /// <summary>The values of a named parameter, as doubles.</summary>
    public static double[] Values(nn.Module model, string name) =>
        model.named_parameters().Single(p => p.name == name).parameter.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>The sum of f over the values of the named parameters.</summary>
    public static double Sum(nn.Module model, IEnumerable<string> names, Func<double, double> f) => names.Sum(n => Values(model, n).Sum(f));

    /// <summary>Every parameter name of the model.</summary>
    public static string[] AllNames(nn.Module model) => model.named_parameters().Select(p => p.name).ToArray();
}
