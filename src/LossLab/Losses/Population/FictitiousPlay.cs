using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// Fictitious play on two-player normal-form games (Brown 1951, "Iterative Solution of Games by Fictitious Play";
/// Robinson 1951): each player best-responds to the empirical average of the other's past play, and the averages converge
/// to a Nash equilibrium in two-player zero-sum games. Heinrich, Lanctot, Silver 2015 ("Fictitious Self-Play in
/// Extensive-Form Games") extend it with sampled, approximate best responses; <see cref="Losses.fictitious_play_loss"/>
/// is the differentiable learner's objective.
/// </summary>
/// <remarks>
/// Payoffs are tensors A (n, m) of the row player and B (n, m) of the column player (B = -A, zero-sum, when not given),
/// or batches (G, n, m). Ties between best responses go to the lowest action index (<c>argmax</c>'s first maximum).
/// Nothing here is differentiable: the helpers return fresh tensors without gradient.
/// <code>
/// var rps = torch.tensor(new double[] { 0, -1, 1, 1, 0, -1, -1, 1, 0 }).reshape(3, 3);
/// var (row, col) = FictitiousPlay.Run(rps, iterations: 5000);            // both near (1/3, 1/3, 1/3)
/// var gap = Losses.exploitability(rps, row, col);                         // NashConv, towards 0
/// </code>
/// </remarks>
public static class FictitiousPlay
{
    /// <summary>The average strategy of a history of (pure or mixed) strategies, one per row: the mean over the rows.</summary>
    /// <param name="history">(T, n) strategies played, T &gt;= 1, each a probability vector (one-hot for pure play).</param>
    /// <returns>(n), in the history's dtype.</returns>
    public static Tensor AverageStrategy(Tensor history)
    {
        const string name = "FictitiousPlay.AverageStrategy";
        Check.Floating(history, name, nameof(history));
        Check.Rank(history, name, nameof(history), 2);
        if (history.shape[0] == 0 || history.shape[1] == 0)
            throw new ArgumentException($"{name}: 'history' must hold at least one strategy over at least one action, shape (T, n), got {Check.Shape(history)}", nameof(history));
        Check.MixedStrategy(history, name, nameof(history));
        using var noGrad = torch.no_grad();
        return history.detach().mean(new long[] { 0 });
    }

    /// <summary>The empirical frequencies of a history of pure actions: <c>count(a) / T</c>, float64.</summary>
    /// <param name="actions">(T) int64 actions played, T &gt;= 1, each in [0, n).</param>
    /// <param name="numActions">n, the number of actions.</param>
    /// <returns>(n) float64.</returns>
    public static Tensor AverageStrategy(Tensor actions, long numActions)
    {
        const string name = "FictitiousPlay.AverageStrategy";
        Check.Param(numActions >= 1, name, nameof(numActions), ">= 1", numActions);
        Check.Integer(actions, name, nameof(actions));
        Check.Rank(actions, name, nameof(actions), 1);
        Check.HasSamples(actions, name, nameof(actions));
        Check.ClassIndices(actions, numActions, name, nameof(actions));
        using var scope = NewDisposeScope();
        var counts = torch.bincount(actions.to(CPU), minlength: numActions).to_type(ScalarType.Float64);
        return (counts / (double)actions.shape[0]).to(actions.device).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The pure best response of a player to an opponent's mixed strategy: the one-hot vector of <c>argmax_i (P s)_i</c>,
    /// with P the responding player's payoffs, its actions along the rows (for the column player pass <c>B^T</c>).
    /// </summary>
    /// <param name="payoff">The responder's payoffs P, (n, m) or (G, n, m).</param>
    /// <param name="opponent">The opponent's mixed strategy s, (m) or (G, m).</param>
    /// <returns>(n) or (G, n), one-hot, in the payoff's dtype.</returns>
    public static Tensor BestResponse(Tensor payoff, Tensor opponent)
    {
        const string name = "FictitiousPlay.BestResponse";
        var lead = CheckPayoff(payoff, name);
        CheckStrategy(opponent, lead, payoff.shape[^1], name, nameof(opponent), "the opponent's strategy, one entry per column of 'payoff'");
        Check.SameDevice(name, (payoff, nameof(payoff)), (opponent, nameof(opponent)));
        using var noGrad = torch.no_grad();
        return BestResponseOf(payoff.detach(), opponent.detach());
    }

    /// <summary>
    /// One iteration of (simultaneous) fictitious play: each player best-responds to the other's current average, and each
    /// average takes in its best response, <c>avg' = avg + (br - avg) / (t + 1)</c>.
    /// </summary>
    /// <param name="payoff">The row player's payoffs A, (n, m) or (G, n, m).</param>
    /// <param name="rowAverage">The row player's average strategy, (n) or (G, n).</param>
    /// <param name="colAverage">The column player's average strategy, (m) or (G, m).</param>
    /// <param name="iteration">t, how many plays the averages hold so far, &gt;= 1.</param>
    /// <param name="payoffCol">The column player's payoffs B, the shape of A; null: -A (zero-sum).</param>
    /// <returns>The new averages.</returns>
    public static (Tensor Row, Tensor Col) Step(Tensor payoff, Tensor rowAverage, Tensor colAverage, long iteration, Tensor? payoffCol = null)
    {
        const string name = "FictitiousPlay.Step";
        CheckBimatrix(payoff, rowAverage, colAverage, payoffCol, name);
        Check.Param(iteration >= 1, name, nameof(iteration), ">= 1 (the number of plays in the averages)", iteration);
        using var noGrad = torch.no_grad();
        return StepOf(payoff.detach(), ColumnPayoffT(payoff, payoffCol), rowAverage.detach().to_type(payoff.dtype), colAverage.detach().to_type(payoff.dtype), iteration);
    }

    /// <summary>
    /// Runs fictitious play for a number of iterations from initial strategies (uniform when not given; they count as the
    /// first play), and returns both players' average strategies.
    /// </summary>
    /// <param name="payoff">The row player's payoffs A, (n, m) or (G, n, m).</param>
    /// <param name="iterations">How many iterations, &gt;= 0.</param>
    /// <param name="payoffCol">The column player's payoffs B; null: -A (zero-sum).</param>
    /// <param name="initialRow">The row player's first strategy, (n) or (G, n); null: uniform.</param>
    /// <param name="initialCol">The column player's first strategy, (m) or (G, m); null: uniform.</param>
    /// <returns>The average strategies after the iterations.</returns>
    public static (Tensor Row, Tensor Col) Run(Tensor payoff, long iterations, Tensor? payoffCol = null, Tensor? initialRow = null, Tensor? initialCol = null)
    {
        const string name = "FictitiousPlay.Run";
        CheckPayoff(payoff, name);
        Check.Param(iterations >= 0, name, nameof(iterations), ">= 0", iterations);
        var row = initialRow ?? torch.full(payoff.shape[..^1], 1.0 / payoff.shape[^2], dtype: payoff.dtype, device: payoff.device);
        var col = initialCol ?? torch.full(payoff.shape[..^2].Append(payoff.shape[^1]).ToArray(), 1.0 / payoff.shape[^1], dtype: payoff.dtype, device: payoff.device);
        CheckBimatrix(payoff, row, col, payoffCol, name, initialRow is null ? "rowAverage" : nameof(initialRow), initialCol is null ? "colAverage" : nameof(initialCol));
        using var noGrad = torch.no_grad();
        var a = payoff.detach();
        var bt = ColumnPayoffT(payoff, payoffCol);
        row = row.detach().to_type(a.dtype);
        col = col.detach().to_type(a.dtype);
        for (long t = 1; t <= iterations; t++)
        {
            using var scope = NewDisposeScope();
            var (r, c) = StepOf(a, bt, row, col, t);
            row = r.MoveToOuterDisposeScope();
            col = c.MoveToOuterDisposeScope();
        }
        return (row, col);
    }

    /// <summary>The one-hot best response to <paramref name="opponent"/> under payoffs (..., n, m); inputs already checked.</summary>
    internal static Tensor BestResponseOf(Tensor payoff, Tensor opponent)
    {
        using var scope = NewDisposeScope();
        var values = torch.matmul(payoff, opponent.to_type(payoff.dtype).unsqueeze(-1)).squeeze(-1);
        return nn.functional.one_hot(values.argmax(-1), payoff.shape[^2]).to_type(payoff.dtype).MoveToOuterDisposeScope();
    }

    private static (Tensor Row, Tensor Col) StepOf(Tensor a, Tensor bt, Tensor row, Tensor col, long t)
    {
        var brRow = BestResponseOf(a, col);
        var brCol = BestResponseOf(bt, row);
        return (row + (brRow - row) / (t + 1.0), col + (brCol - col) / (t + 1.0));
    }

    /// <summary>B^T (the column player's payoffs with its actions along the rows), B = -A when not given.</summary>
    private static Tensor ColumnPayoffT(Tensor payoff, Tensor? payoffCol) =>
        (payoffCol is null ? -payoff.detach() : payoffCol.detach().to_type(payoff.dtype)).transpose(-1, -2);

    /// <summary>A payoff matrix (n, m) or batch (G, n, m) with at least one action each; returns the batch shape.</summary>
    internal static long[] CheckPayoff(Tensor payoff, string name, string arg = "payoff")
    {
        Check.Floating(payoff, name, arg);
        Check.Rank(payoff, name, arg, 2, 3);
        if (payoff.shape[^1] == 0 || payoff.shape[^2] == 0)
            throw new ArgumentException($"{name}: '{arg}' has no strategies (shape {Check.Shape(payoff)})", arg);
        return payoff.shape[..^2];
    }

    /// <summary>A mixed strategy over <paramref name="size"/> actions for each game of the batch.</summary>
    internal static void CheckStrategy(Tensor strategy, long[] lead, long size, string name, string arg, string what)
    {
        PopulationOps.ExpectShape(strategy, lead.Append(size).ToArray(), name, arg, what);
        Check.MixedStrategy(strategy, name, arg);
    }

    private static void CheckBimatrix(Tensor payoff, Tensor row, Tensor col, Tensor? payoffCol, string name, string rowName = "rowAverage", string colName = "colAverage")
    {
        var lead = CheckPayoff(payoff, name);
        CheckStrategy(row, lead, payoff.shape[^2], name, rowName, "the row player's strategy");
        CheckStrategy(col, lead, payoff.shape[^1], name, colName, "the column player's strategy");
        if (payoffCol is not null)
        {
            Check.Floating(payoffCol, name, nameof(payoffCol));
            Check.SameShape(payoff, nameof(payoff), payoffCol, nameof(payoffCol), name);
        }
        Check.SameDevice(name, (payoff, nameof(payoff)), (row, rowName), (col, colName), (payoffCol, nameof(payoffCol)));
    }
}

/// <summary>What <see cref="Losses.fictitious_play_loss"/> minimises.</summary>
public enum FictitiousPlayObjective
{
    /// <summary>The regret of the policy against the opponent's average strategy: the best response's value minus the policy's.</summary>
    Regret,
    /// <summary>The cross-entropy of the policy toward the best response (NFSP's supervised step, Heinrich and Silver 2016).</summary>
    CrossEntropy,
}

public static partial class Losses
{
    /// <summary>
    /// A differentiable fictitious-play step for a learner with action logits, on a two-player normal-form game with the
    /// learner's payoffs A (its actions along the rows) against an opponent whose average strategy is s (Brown 1951;
    /// Heinrich, Lanctot, Silver 2015):
    /// <list type="bullet">
    /// <item><description><b>regret</b>: <c>max_i (A s)_i - pi^T A s</c>, <c>pi = softmax(logits)</c>, the value the learner
    /// forgoes by not playing the best response to s (its part of NashConv, <see cref="exploitability"/>); 0 exactly when pi
    /// is a best response.</description></item>
    /// <item><description><b>cross_entropy</b>: <c>-log pi(a*)</c>, <c>a* = argmax_i (A s)_i</c> (the best response of
    /// <see cref="FictitiousPlay.BestResponse"/>, ties to the lowest index): fitting the policy to the best response, as
    /// NFSP's networks are fitted to their own best-response play.</description></item>
    /// </list>
    /// </summary>
    /// <remarks>
    /// <para>Minimising either moves the learner's policy toward the best response to the opponent's average, the
    /// fictitious-play update; averaging the learner's policies over the iterations (as <see cref="FictitiousPlay"/> does
    /// with exact best responses) gives the strategy that converges to Nash in zero-sum games. The regret is computed by
    /// <see cref="exploitability"/> with an indifferent column player (B = 0, whose own gain is then 0), so its gradient
    /// reaches the logits and the payoffs (the max passes it to the best response); the cross-entropy's gradient reaches
    /// the logits only (the best response is an index). The opponent's average is data. Computed from <c>softmax</c> and
    /// <c>log_softmax</c>: logits of magnitude 1e4 in float32 give finite values and gradients.</para>
    /// <code>
    /// var avg = FictitiousPlay.AverageStrategy(opponentHistory);                    // (m)
    /// var loss = Losses.fictitious_play_loss(policyLogits, payoff, avg);             // regret, to minimise
    /// </code>
    /// </remarks>
    /// <param name="logits">The learner's action logits, (n) or (G, n) for batched games.</param>
    /// <param name="payoff">The learner's payoffs A, (n, m) or (G, n, m).</param>
    /// <param name="opponent_average">The opponent's average (mixed) strategy s, (m) or (G, m).</param>
    /// <param name="objective">regret (the default) or cross_entropy toward the best response.</param>
    /// <param name="reduction">none: one value per game (a scalar, or (G)); mean; sum over games.</param>
    /// <returns>A scalar, or (G) for batched games with reduction none.</returns>
    public static Tensor fictitious_play_loss(Tensor logits, Tensor payoff, Tensor opponent_average, FictitiousPlayObjective objective = FictitiousPlayObjective.Regret, Reduction reduction = Reduction.Mean)
    {
        const string name = "fictitious_play_loss";
        var lead = FictitiousPlay.CheckPayoff(payoff, name);
        PopulationOps.ExpectShape(logits, lead.Append(payoff.shape[^2]).ToArray(), name, nameof(logits), "the learner's action logits, one per row of 'payoff'");
        FictitiousPlay.CheckStrategy(opponent_average, lead, payoff.shape[^1], name, nameof(opponent_average), "the opponent's average strategy, one entry per column of 'payoff'");
        Check.SameDevice(name, (logits, nameof(logits)), (payoff, nameof(payoff)), (opponent_average, nameof(opponent_average)));
        if (!Enum.IsDefined(objective)) throw new ArgumentOutOfRangeException(nameof(objective), objective, $"{name}: 'objective' must be regret or cross_entropy");
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        Tensor perGame;
        if (objective == FictitiousPlayObjective.Regret)
        {
            var policy = torch.softmax(logits.to_type(payoff.dtype), -1);
            perGame = exploitability(payoff, policy, opponent_average, payoff_col: torch.zeros_like(payoff), reduction: Reduction.None);
        }
        else
        {
            Tensor best;
            using (torch.no_grad())
                best = FictitiousPlay.BestResponseOf(payoff.detach(), opponent_average.detach()).argmax(-1);
            perGame = -policy_log_probs(logits, best);
        }
        return Reduce.Apply(perGame, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The fictitious-play objective as a module; see <see cref="Losses.fictitious_play_loss"/>. <c>forward(logits, payoff, opponent_average)</c>.</summary>
public sealed class FictitiousPlayLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly FictitiousPlayObjective objective;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.fictitious_play_loss"/>.</summary>
    public FictitiousPlayLoss(FictitiousPlayObjective objective = FictitiousPlayObjective.Regret, Reduction reduction = Reduction.Mean) : base(nameof(FictitiousPlayLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(FictitiousPlayLoss));
        this.objective = objective;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor logits, Tensor payoff, Tensor opponent_average) => Losses.fictitious_play_loss(logits, payoff, opponent_average, objective, reduction);
}

internal sealed class FictitiousPlayDefinition : LossDefinition
{
    public override string Name => "fictitious_play";
    public override string Family => "population";
    public override string Summary => "Fictitious play's learner step: regret of softmax(logits) against the best response to the opponent's average strategy, or cross-entropy toward that best response.";
    public override string Math => "regret: max_i (A s)_i - softmax(logits)^T A s;  cross_entropy: -log softmax(logits)[argmax_i (A s)_i];  s = opponent_average";
    public override string Reference => "Brown 1951, Iterative Solution of Games by Fictitious Play; Heinrich, Lanctot, Silver 2015, Fictitious Self-Play in Extensive-Form Games";
    public override string Function => "Losses.fictitious_play_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("objective", "regret", "the best-response regret of the policy, or cross-entropy toward the best response", "regret", "cross_entropy"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("logits", "(n) or (G, n) learner's action logits"),
        InputSpec.Grad("payoff", "(n, m) or (G, n, m) learner's payoffs (rows: its actions)"),
        InputSpec.Data("opponent_average", "(m) or (G, m) opponent's average strategy"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.fictitious_play_loss(x.Required("logits"), x.Required("payoff"), x.Required("opponent_average"),
            p.Choice("objective") == "cross_entropy" ? FictitiousPlayObjective.CrossEntropy : FictitiousPlayObjective.Regret, p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long[] lead, long n, long m) => g => new()
        {
            ["logits"] = Sample.Normal(g, lead.Append(n).ToArray()),
            ["payoff"] = Sample.Normal(g, lead.Append(n).Append(m).ToArray()),
            ["opponent_average"] = lead.Length == 0 ? Sample.Simplex(g, 1, m).squeeze(0) : Sample.Simplex(g, lead[0], m),
        };
        yield return GradcheckCase.Of("(3,3) regret", Make([], 3, 3));
        yield return GradcheckCase.Of("(2,4,3) batched regret none", Make([2], 4, 3), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,2,5) batched cross_entropy sum", Make([3], 2, 5), ("objective", "cross_entropy"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(4,2) cross_entropy", Make([], 4, 2), ("objective", "cross_entropy"));
        yield return GradcheckCase.Of("(1,3,3) single game regret", Make([1], 3, 3));
    }
}
