using System.CommandLine;
using TorchSharp;

namespace LossLab.Cli;

/// <summary>The <c>--device</c> option shared by commands that compute on tensors.</summary>
internal static class DeviceOption
{
    public static Option<string> Create() => new("--device")
    {
        Description = "cpu, cuda or cuda:N (CUDA needs a build with -p:LossLabBackend=cuda and a GPU)",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>Parses a device name, failing with a clear message when CUDA is asked for but not available.</summary>
    public static torch.Device Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return torch.CPU;
        if (t == "cuda" || t.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new ArgumentException($"--device {text}: CUDA is not available (this build uses the {(torch.cuda.is_available() ? "cuda" : "cpu")} backend; build with -p:LossLabBackend=cuda on a machine with a GPU)");
            return torch.device(t);
        }
        throw new ArgumentException($"--device must be cpu, cuda or cuda:N; got '{text}'");
    }
}
