using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>One elite of a <see cref="MapElitesArchive"/>: the best solution found for one cell.</summary>
/// <param name="Cell">The cell's flat index (row-major over the grid).</param>
/// <param name="Fitness">Its objective value.</param>
/// <param name="Descriptor">Its behaviour descriptor (measures).</param>
/// <param name="Solution">The solution's parameters.</param>
public sealed record MapElite(long Cell, double Fitness, IReadOnlyList<double> Descriptor, IReadOnlyList<double> Solution)
{
    /// <summary>The solution as a float64 tensor (S).</summary>
    public Tensor SolutionTensor() => torch.tensor(Solution.ToArray(), dtype: ScalarType.Float64);
}

/// <summary>
/// The archive of MAP-Elites (Mouret and Clune 2015, "Illuminating search spaces by mapping elites"): a grid of cells
/// over a box of the behaviour-descriptor space, each holding the best (highest-fitness) solution whose descriptor fell
/// into it. It is the container of quality-diversity algorithms, including DQD's CMA-MEGA
/// (<see cref="Losses.dqd_objective"/>).
/// </summary>
/// <remarks>
/// Descriptors outside the box are clipped to the nearest edge cell (pyribs' GridArchive does the same). A solution
/// enters a cell that is empty, or whose elite has a strictly lower fitness. Metrics: <see cref="Coverage"/> (the
/// fraction of filled cells) and <see cref="QdScore"/> (the sum over filled cells of fitness minus an offset, so that
/// it grows with both quality and coverage; choose the offset below every possible fitness). Solutions are kept as
/// float64 copies, so the archive holds no native tensors and needs no disposal. Not thread-safe.
/// <code>
/// var archive = new MapElitesArchive(new[] { -1.0, -1.0 }, new[] { 1.0, 1.0 }, new[] { 10, 10 });
/// archive.InsertBatch(solutions, fitness, descriptors);          // (B, S), (B), (B, 2)
/// Console.WriteLine($"coverage {archive.Coverage:P0}, QD score {archive.QdScore(offset: -100)}");
/// </code>
/// </remarks>
public sealed class MapElitesArchive
{
    private readonly double[] lower;
    private readonly double[] upper;
    private readonly int[] cells;
    private readonly Dictionary<long, MapElite> elites = new();
    private int solutionSize = -1;

    /// <summary>Creates an empty archive over the box [lower, upper] with <paramref name="cells"/> cells per dimension.</summary>
    /// <param name="lower">Lower bounds of the descriptor box, one per dimension.</param>
    /// <param name="upper">Upper bounds, each greater than its lower bound.</param>
    /// <param name="cells">Cells per dimension, each at least 1.</param>
    /// <exception cref="ArgumentException">The bounds or cell counts are inconsistent.</exception>
    public MapElitesArchive(IReadOnlyList<double> lower, IReadOnlyList<double> upper, IReadOnlyList<int> cells)
    {
        const string name = nameof(MapElitesArchive);
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        ArgumentNullException.ThrowIfNull(cells);
        if (lower.Count == 0) throw new ArgumentException($"{name}: the descriptor space needs at least one dimension", nameof(lower));
        if (upper.Count != lower.Count) throw new ArgumentException($"{name}: 'upper' has {upper.Count} bounds but 'lower' has {lower.Count}", nameof(upper));
        if (cells.Count != lower.Count) throw new ArgumentException($"{name}: 'cells' has {cells.Count} counts but the space has {lower.Count} dimensions", nameof(cells));
        long total = 1;
        for (int d = 0; d < lower.Count; d++)
        {
            if (!double.IsFinite(lower[d]) || !double.IsFinite(upper[d]) || upper[d] <= lower[d])
                throw new ArgumentException($"{name}: dimension {d} needs finite bounds with lower < upper, got [{lower[d]}, {upper[d]}]", nameof(upper));
            if (cells[d] < 1) throw new ArgumentException($"{name}: dimension {d} needs at least 1 cell, got {cells[d]}", nameof(cells));
            total = checked(total * cells[d]);
        }
        this.lower = lower.ToArray();
        this.upper = upper.ToArray();
        this.cells = cells.ToArray();
        CellCount = total;
    }

    /// <summary>The number of descriptor dimensions.</summary>
    public int Dimensions => lower.Length;

    /// <summary>The number of cells of the grid.</summary>
    public long CellCount { get; }

    /// <summary>The number of filled cells.</summary>
    public int Count => elites.Count;

    /// <summary>The fraction of cells that hold an elite, in [0, 1].</summary>
    public double Coverage => (double)elites.Count / CellCount;

    /// <summary>The elites, by cell index.</summary>
    public IReadOnlyList<MapElite> Elites => elites.Values.OrderBy(e => e.Cell).ToList();

    /// <summary>The elite with the highest fitness, or null when the archive is empty.</summary>
    public MapElite? Best => elites.Count == 0 ? null : elites.Values.MaxBy(e => e.Fitness);

    /// <summary>The QD score: <c>sum over filled cells of (fitness - offset)</c>.</summary>
    /// <param name="offset">Subtracted from each fitness (below the lowest possible fitness, so every elite adds).</param>
    public double QdScore(double offset = 0.0) => elites.Values.Sum(e => e.Fitness - offset);

    /// <summary>The elite of a cell, or null.</summary>
    /// <param name="cell">The flat cell index.</param>
    public MapElite? Get(long cell) => elites.GetValueOrDefault(cell);

    /// <summary>The flat (row-major) index of the cell that holds a descriptor; outside the box, the nearest edge cell.</summary>
    /// <param name="descriptor">The descriptor, one value per dimension.</param>
    public long CellIndex(IReadOnlyList<double> descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.Count != Dimensions)
            throw new ArgumentException($"{nameof(MapElitesArchive)}: a descriptor needs {Dimensions} values, got {descriptor.Count}", nameof(descriptor));
        long index = 0;
        for (int d = 0; d < Dimensions; d++)
        {
            double x = descriptor[d];
            if (double.IsNaN(x)) throw new ArgumentException($"{nameof(MapElitesArchive)}: descriptor value {d} is NaN", nameof(descriptor));
            double u = (x - lower[d]) / (upper[d] - lower[d]);
            long c = (long)Math.Floor(Math.Clamp(u, 0.0, 1.0) * cells[d]);
            if (c >= cells[d]) c = cells[d] - 1;
            index = index * cells[d] + c;
        }
        return index;
    }

    /// <summary>The grid coordinates of a flat cell index.</summary>
    /// <param name="cell">The flat index.</param>
    public int[] CellCoordinates(long cell)
    {
        if (cell < 0 || cell >= CellCount) throw new ArgumentOutOfRangeException(nameof(cell), cell, $"{nameof(MapElitesArchive)}: a cell index is in [0, {CellCount - 1}]");
        var coords = new int[Dimensions];
        for (int d = Dimensions - 1; d >= 0; d--)
        {
            coords[d] = (int)(cell % cells[d]);
            cell /= cells[d];
        }
        return coords;
    }

    /// <summary>Inserts a solution if its cell is empty or holds a worse elite.</summary>
    /// <param name="solution">The solution's parameters (all solutions of an archive have one size).</param>
    /// <param name="fitness">Its objective value (finite).</param>
    /// <param name="descriptor">Its behaviour descriptor.</param>
    /// <returns>Whether it entered the archive.</returns>
    public bool TryInsert(IReadOnlyList<double> solution, double fitness, IReadOnlyList<double> descriptor)
    {
        ArgumentNullException.ThrowIfNull(solution);
        if (!double.IsFinite(fitness)) throw new ArgumentException($"{nameof(MapElitesArchive)}: fitness must be finite, got {fitness}", nameof(fitness));
        if (solutionSize >= 0 && solution.Count != solutionSize)
            throw new ArgumentException($"{nameof(MapElitesArchive)}: solutions of this archive have {solutionSize} values, got {solution.Count}", nameof(solution));
        long cell = CellIndex(descriptor);
        if (elites.TryGetValue(cell, out var current) && current.Fitness >= fitness) return false;
        solutionSize = solution.Count;
        elites[cell] = new MapElite(cell, fitness, descriptor.ToArray(), solution.ToArray());
        return true;
    }

    /// <summary>Inserts a solution given as tensors; see <see cref="TryInsert(IReadOnlyList{double}, double, IReadOnlyList{double})"/>.</summary>
    /// <param name="solution">The solution, any shape (flattened).</param>
    /// <param name="fitness">Its objective value.</param>
    /// <param name="descriptor">Its descriptor, (D).</param>
    /// <returns>Whether it entered the archive.</returns>
    public bool TryInsertTensor(Tensor solution, double fitness, Tensor descriptor) =>
        TryInsert(Values(solution), fitness, Values(descriptor));

    /// <summary>Inserts a batch of solutions in order (a later one competes with those inserted before it).</summary>
    /// <param name="solutions">Solutions, (B, S).</param>
    /// <param name="fitness">Objective values, (B).</param>
    /// <param name="descriptors">Descriptors, (B, D).</param>
    /// <returns>How many entered the archive.</returns>
    public int InsertBatch(Tensor solutions, Tensor fitness, Tensor descriptors)
    {
        const string name = nameof(MapElitesArchive) + ".InsertBatch";
        Check.Floating(solutions, name, nameof(solutions));
        Check.Rank(solutions, name, nameof(solutions), 2);
        Check.Floating(fitness, name, nameof(fitness));
        Check.Rank(fitness, name, nameof(fitness), 1);
        Check.Floating(descriptors, name, nameof(descriptors));
        Check.Rank(descriptors, name, nameof(descriptors), 2);
        Check.SameBatch(solutions, nameof(solutions), fitness, nameof(fitness), name);
        Check.SameBatch(solutions, nameof(solutions), descriptors, nameof(descriptors), name);
        Check.Size(descriptors, 1, Dimensions, name, nameof(descriptors), "the archive's descriptor dimensions");
        long b = solutions.shape[0], s = solutions.shape[1];
        var sol = Values(solutions);
        var fit = Values(fitness);
        var desc = Values(descriptors);
        int inserted = 0;
        for (long i = 0; i < b; i++)
            if (TryInsert(new ArraySegment<double>(sol, (int)(i * s), (int)s), fit[i], new ArraySegment<double>(desc, (int)(i * Dimensions), Dimensions)))
                inserted++;
        return inserted;
    }

    /// <summary>Elites drawn uniformly with replacement (the parents of the next MAP-Elites generation).</summary>
    /// <param name="n">How many.</param>
    /// <param name="random">The random source.</param>
    /// <exception cref="InvalidOperationException">The archive is empty.</exception>
    public IReadOnlyList<MapElite> Sample(int n, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"{nameof(MapElitesArchive)}: n must be >= 0");
        if (elites.Count == 0) throw new InvalidOperationException($"{nameof(MapElitesArchive)}: cannot sample from an empty archive");
        var all = Elites;
        return Enumerable.Range(0, n).Select(_ => all[random.Next(all.Count)]).ToList();
    }

    /// <summary>The elites' solutions stacked, (Count, S), float64 (in cell order).</summary>
    public Tensor Solutions() => elites.Count == 0
        ? torch.zeros(0, Math.Max(solutionSize, 0), dtype: ScalarType.Float64)
        : torch.tensor(Elites.SelectMany(e => e.Solution).ToArray(), dtype: ScalarType.Float64).reshape(elites.Count, solutionSize);

    /// <summary>Removes every elite.</summary>
    public void Clear()
    {
        elites.Clear();
        solutionSize = -1;
    }

    private static double[] Values(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
    }
}
