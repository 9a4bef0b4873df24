using System.CommandLine;
using System.Text.Json;
using LossLab.Registry;
using Spectre.Console;

namespace LossLab.Cli.Commands;

/// <summary><c>losslab losses [NAME] [--json]</c>: the catalog of losses and metrics.</summary>
internal static class LossesCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "show one loss or metric in full", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "print the catalog as JSON (name, summary, parameters with type and default, inputs)" };
        var forProblem = new Option<string?>("--for") { Description = "which loss to choose for a problem: " + string.Join(", ", LossGuide.Problems) };
        var cmd = new Command("losses", "List the registered losses and metrics, show one in full, or say which to choose for a problem.") { name, json, forProblem };
        cmd.SetAction(r => r.GetValue(forProblem) is string p ? Guide(p, Console.Out, Console.Error) : Run(r.GetValue(name), r.GetValue(json)));
        return cmd;
    }

    internal static int Run(string? name, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(CatalogJson(name));
            return 0;
        }
        if (name is not null)
        {
            var loss = LossCatalog.FindLoss(name);
            var metric = LossCatalog.FindMetric(name);
            if (loss is null && metric is null)
            {
                Console.Error.WriteLine($"losslab: no loss or metric named '{name}' (`losslab losses` lists them)");
                return 2;
            }
            if (loss is not null) ShowOne(loss.Name, loss.Family, loss.Summary, loss.Math, loss.Reference, loss.Function, loss.Parameters, loss.Inputs, loss.HeldTerms);
            if (metric is not null) ShowOne(metric.Name, metric.Family, metric.Summary, metric.Math, metric.Reference, metric.Function, metric.Parameters, metric.Inputs, Array.Empty<string>());
            return 0;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumn("loss").AddColumn("family").AddColumn("parameters").AddColumn("summary");
        foreach (var l in LossCatalog.Losses.OrderBy(l => l.Family).ThenBy(l => l.Name))
            table.AddRow(Markup.Escape(l.Name), l.Family, Markup.Escape(string.Join(", ", l.Parameters.Select(p => $"{p.Name}={p.Default}"))), Markup.Escape(l.Summary));
        AnsiConsole.Write(table);
        var metrics = new Table().Border(TableBorder.Simple).AddColumn("metric").AddColumn("family").AddColumn("parameters").AddColumn("summary");
        foreach (var m in LossCatalog.Metrics)
            metrics.AddRow(Markup.Escape(m.Name), m.Family, Markup.Escape(string.Join(", ", m.Parameters.Select(p => $"{p.Name}={p.Default}"))), Markup.Escape(m.Summary));
        AnsiConsole.Write(metrics);
        AnsiConsole.WriteLine($"{LossCatalog.Losses.Count} losses, {LossCatalog.Metrics.Count} metrics. `losslab losses NAME` shows one in full; a loss is named by a spec such as focal:gamma=3.");
        return 0;
    }

    internal static int Guide(string problem, TextWriter output, TextWriter errors)
    {
        var entry = LossGuide.For(problem);
        if (entry is null)
        {
            errors.WriteLine($"losslab losses --for: no advice for '{problem}'; problems: {string.Join(", ", LossGuide.Problems)}");
            return 2;
        }
        output.WriteLine($"{entry.Title} ({entry.Problem})");
        output.WriteLine("choose:");
        foreach (var c in entry.Choices) output.WriteLine($"  {c.Spec,-44} {c.When}");
        output.WriteLine("avoid:");
        foreach (var p in entry.Pitfalls) output.WriteLine($"  - {p.Mistake}\n    instead: {p.Remedy} ({p.Spec})");
        output.WriteLine("The long form, with the reasons: docs/choosing-a-loss.md.");
        return 0;
    }

    private static void ShowOne(string name, string family, string summary, string math, string reference, string function, IReadOnlyList<ParamSpec> ps, IReadOnlyList<InputSpec> inputs, IReadOnlyList<string> held)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(name)}[/] ({Markup.Escape(family)}): {Markup.Escape(summary)}");
        AnsiConsole.MarkupLine($"  math:      {Markup.Escape(math)}");
        AnsiConsole.MarkupLine($"  reference: {Markup.Escape(reference)}");
        AnsiConsole.MarkupLine($"  function:  {Markup.Escape(function)}");
        if (held.Count > 0) AnsiConsole.MarkupLine($"  held constant (surrogate gradient): {Markup.Escape(string.Join(", ", held))}");
        var t = new Table().Border(TableBorder.Simple).AddColumn("parameter").AddColumn("type").AddColumn("default").AddColumn("allowed").AddColumn("meaning");
        foreach (var p in ps) t.AddRow(Markup.Escape(p.Name), p.Type.ToString().ToLowerInvariant(), Markup.Escape(p.Default), Markup.Escape(p.Allowed()), Markup.Escape(p.Doc));
        AnsiConsole.Write(t);
        var it = new Table().Border(TableBorder.Simple).AddColumn("input").AddColumn("shape").AddColumn("required").AddColumn("gradient");
        foreach (var i in inputs) it.AddRow(Markup.Escape(i.Name), Markup.Escape(i.Shape), i.Required ? "yes" : "no", i.Differentiable ? "yes" : "no");
        AnsiConsole.Write(it);
    }

    internal static string CatalogJson(string? only = null)
    {
        static object Params(IReadOnlyList<ParamSpec> ps) => ps.Select(p => new
        {
            name = p.Name,
            type = p.Type.ToString().ToLowerInvariant(),
            @default = p.Default,
            allowed = p.Allowed(),
            choices = p.Choices.Count > 0 ? p.Choices : null,
            min = p.Min,
            max = p.Max,
            doc = p.Doc,
        }).ToList();
        static object Inputs(IReadOnlyList<InputSpec> xs) => xs.Select(i => new { name = i.Name, shape = i.Shape, required = i.Required, differentiable = i.Differentiable }).ToList();
        var doc = new
        {
            losses = LossCatalog.Losses.Where(l => only is null || l.Name == only).Select(l => new
            {
                name = l.Name,
                family = l.Family,
                summary = l.Summary,
                math = l.Math,
                reference = l.Reference,
                function = l.Function,
                parameters = Params(l.Parameters),
                inputs = Inputs(l.Inputs),
                held_terms = l.HeldTerms,
            }).ToList(),
            metrics = LossCatalog.Metrics.Where(m => only is null || m.Name == only).Select(m => new
            {
                name = m.Name,
                family = m.Family,
                summary = m.Summary,
                math = m.Math,
                reference = m.Reference,
                function = m.Function,
                parameters = Params(m.Parameters),
                inputs = Inputs(m.Inputs),
            }).ToList(),
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });
    }
}
