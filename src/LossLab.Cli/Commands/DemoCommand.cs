using System.CommandLine;

namespace LossLab.Cli.Commands;

/// <summary><c>losslab demo</c>: the first command a new user runs.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var cmd = new Command("demo", "Evaluate cross-entropy, focal and the IQ divergences on a small real batch: values and gradient norms.");
        cmd.SetAction(_ => Demo.Run(Console.Out));
        return cmd;
    }
}
