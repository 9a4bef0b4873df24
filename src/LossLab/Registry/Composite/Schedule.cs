using System.Globalization;

namespace LossLab.Registry.Composite;

/// <summary>
/// A value driven by the training step: a constant, or one of the annealing schedules that composite loss specs
/// write as <c>linear(a,b,steps)</c> (alias <c>anneal</c>), <c>cosine(a,b,steps)</c>, <c>step(a,factor,every)</c> or
/// <c>cyclical(a,b,period[,ratio])</c>.
/// </summary>
public abstract record Schedule
{
    /// <summary>The value at a training step (0-based).</summary>
    public abstract double At(long step);

    /// <summary>Whether the value never changes.</summary>
    public virtual bool IsConstant => false;

    /// <summary>A constant.</summary>
    public sealed record Constant(double Value) : Schedule
    {
        /// <inheritdoc/>
        public override double At(long step) => Value;
        /// <inheritdoc/>
        public override bool IsConstant => true;
        /// <inheritdoc/>
        public override string ToString() => Value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>From <c>Start</c> to <c>End</c> linearly over <c>Steps</c> steps, then <c>End</c>.</summary>
    public sealed record Linear(double Start, double End, long Steps) : Schedule
    {
        /// <inheritdoc/>
        public override double At(long step) => step >= Steps ? End : Start + (End - Start) * step / Steps;
        /// <inheritdoc/>
        public override string ToString() => FormattableString.Invariant($"linear({Start},{End},{Steps})");
    }

    /// <summary>From <c>Start</c> to <c>End</c> along half a cosine over <c>Steps</c> steps, then <c>End</c>.</summary>
    public sealed record Cosine(double Start, double End, long Steps) : Schedule
    {
        /// <inheritdoc/>
        public override double At(long step) => step >= Steps ? End : Start + (End - Start) * (1 - Math.Cos(Math.PI * step / Steps)) / 2;
        /// <inheritdoc/>
        public override string ToString() => FormattableString.Invariant($"cosine({Start},{End},{Steps})");
    }

    /// <summary><c>Start * Factor^floor(step / Every)</c>.</summary>
    public sealed record Step(double Start, double Factor, long Every) : Schedule
    {
        /// <inheritdoc/>
        public override double At(long step) => Start * Math.Pow(Factor, step / Every);
        /// <inheritdoc/>
        public override string ToString() => FormattableString.Invariant($"step({Start},{Factor},{Every})");
    }

    /// <summary>
    /// Cyclical annealing (Fu et al. 2019, for the KL term of VAEs): every <c>Period</c> steps, rise linearly from
    /// <c>Start</c> to <c>End</c> over the first <c>Ratio</c> of the period, then hold <c>End</c>.
    /// </summary>
    public sealed record Cyclical(double Start, double End, long Period, double Ratio) : Schedule
    {
        /// <inheritdoc/>
        public override double At(long step)
        {
            double phase = (double)(step % Period) / Period;
            return phase >= Ratio ? End : Start + (End - Start) * phase / Ratio;
        }
        /// <inheritdoc/>
        public override string ToString() => FormattableString.Invariant($"cyclical({Start},{End},{Period},{Ratio})");
    }

    /// <summary>Parses a number or a schedule call.</summary>
    /// <exception cref="FormatException">Not a number or a known schedule with valid arguments.</exception>
    public static Schedule Parse(string text)
    {
        string t = text.Trim();
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            if (!double.IsFinite(v)) throw new FormatException($"weight '{text}' is not finite");
            return new Constant(v);
        }
        int open = t.IndexOf('(');
        if (open <= 0 || !t.EndsWith(')'))
            throw new FormatException($"'{text}' is neither a number nor a schedule (linear|anneal|cosine|step|cyclical(...))");
        string fn = t[..open].Trim().ToLowerInvariant();
        var args = t[(open + 1)..^1].Split(',', StringSplitOptions.TrimEntries);
        double A(int i) => i < args.Length && double.TryParse(args[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x)
            ? x : throw new FormatException($"schedule '{text}': argument {i + 1} must be a number");
        long L(int i)
        {
            double x = A(i);
            if (x < 1 || x != Math.Floor(x)) throw new FormatException($"schedule '{text}': argument {i + 1} must be a whole number of steps >= 1");
            return (long)x;
        }
        void Count(params int[] allowed)
        {
            if (!allowed.Contains(args.Length))
                throw new FormatException($"schedule '{text}': {fn} takes {string.Join(" or ", allowed)} arguments, got {args.Length}");
        }
        switch (fn)
        {
            case "linear":
            case "anneal":
                Count(3); return new Linear(A(0), A(1), L(2));
            case "cosine":
                Count(3); return new Cosine(A(0), A(1), L(2));
            case "step":
                Count(3); return new Step(A(0), A(1), L(2));
            case "cyclical":
                {
                    Count(3, 4);
                    double ratio = args.Length == 4 ? A(3) : 0.5;
                    if (ratio <= 0 || ratio > 1) throw new FormatException($"schedule '{text}': ratio must be in (0, 1]");
                    return new Cyclical(A(0), A(1), L(2), ratio);
                }
            default:
                throw new FormatException($"unknown schedule '{fn}' in '{text}'; schedules: linear (anneal), cosine, step, cyclical");
        }
    }
}
