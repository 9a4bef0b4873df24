using Xunit;

namespace LossLab.Tests.Support;

/// <summary>
/// Tests that train models: model initialisation draws from TorchSharp's global generator, so these run alone, never
/// beside another test that could draw from it at the same moment (which would break same-seed reproducibility).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRngCollection
{
    public const string Name = "Global RNG";
}
