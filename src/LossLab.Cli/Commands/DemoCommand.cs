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
        var out_ = new Option<string>("--out") { Description = "where the demo's study writes its runs and report", DefaultValueFactory = _ => "demo-out" };
        var quick = new Option<bool>("--quick") { Description = "only the loss table, no study" };
        var cmd = new Command("demo", "Evaluate cross-entropy, focal and the IQ divergences on a real Fashion-MNIST batch, then run a short study comparing them (2 seeds) and write its report.") { data, seed, device, out_, quick };
        cmd.SetAction(r => Demo.Run(r.GetValue(data), r.GetValue(seed), r.GetValue(device)!, r.GetValue(out_)!, r.GetValue(quick)));
        return cmd;
    }
}
