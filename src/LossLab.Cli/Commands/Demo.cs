namespace LossLab.Cli.Commands;

/// <summary>The demo's work (placeholder until the demo data lands).</summary>
internal static class Demo
{
    public static int Run(TextWriter output)
    {
        output.WriteLine("demo");
        return 0;
    }
}
