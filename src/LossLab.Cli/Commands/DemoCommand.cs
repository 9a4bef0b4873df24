using System.CommandLine;

namespace LossLab.Cli.Commands;

/// <summary><c>losslab demo</c>: the first command a new user runs.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "a Fashion-MNIST folder (IDX files); default: Debian's full set if installed, else the sample shipped with LossLab" };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 0 };
        var device = DeviceOption.Create();
        var cmd = new Command("demo", "Fit a small classifier on real Fashion-MNIST images, then evaluate cross-entropy, focal and the IQ divergences on a test batch: values and gradient norms.") { data, seed, device };
        cmd.SetAction(r => Demo.Run(r.GetValue(data), r.GetValue(seed), r.GetValue(device)!));
        return cmd;
    }
}
