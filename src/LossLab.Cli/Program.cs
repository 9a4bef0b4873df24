using System.CommandLine;
using LossLab.Cli.Commands;

namespace LossLab.Cli;

/// <summary>The entry point of the losslab tool.</summary>
public static class Program
{
    /// <summary>Builds the command tree (one command per file under Commands/).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("LossLab: loss functions for deep learning on TorchSharp, and the lab that measures them.");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(LossesCommand.Create());
        root.Subcommands.Add(ConformanceCommand.Create());
        root.Subcommands.Add(GradcheckCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(StudyCommand.Create());
        return root;
    }

    /// <summary>Runs the tool.</summary>
    public static int Main(string[] args)
    {
        NativeSetup.Configure();
        return BuildRoot().Parse(args).Invoke();
    }
}
