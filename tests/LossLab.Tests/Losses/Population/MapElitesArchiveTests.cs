using LossLab.Tests.Support;
using Xunit;

namespace LossLab.Tests.Losses.Population;

public class MapElitesArchiveTests
{
    // a 2-D descriptor box [0, 1] x [-1, 1] with 4 x 2 cells: 8 cells
    private static MapElitesArchive Make() => new(new[] { 0.0, -1 }, new[] { 1.0, 1 }, new[] { 4, 2 });

    [Fact]
    public void CellsAreRowMajorAndOutOfBoxDescriptorsClipToTheEdge()
    {
        var a = Make();
        Assert.Equal(8, a.CellCount);
        Assert.Equal(0, a.CellIndex(new[] { 0.0, -1 }));
        Assert.Equal(1, a.CellIndex(new[] { 0.1, 0.5 }));          // x cell 0, y cell 1
        Assert.Equal(2 * 2 + 0, a.CellIndex(new[] { 0.5, -0.5 }));  // x cell 2 (0.5 is the start of the third quarter)
        Assert.Equal(7, a.CellIndex(new[] { 1.0, 1.0 }));           // the upper bound belongs to the last cell
        Assert.Equal(7, a.CellIndex(new[] { 9.0, 9.0 }));           // clipped
        Assert.Equal(0, a.CellIndex(new[] { -9.0, -9.0 }));
        Assert.Equal(new[] { 3, 1 }, a.CellCoordinates(7));
        Assert.Equal(new[] { 2, 0 }, a.CellCoordinates(4));
    }

    [Fact]
    public void InsertsOnlyIntoEmptyCellsOrOverWorseElites()
    {
        var a = Make();
        Assert.True(a.TryInsert(new[] { 1.0, 2 }, 0.5, new[] { 0.1, 0.1 }));
        Assert.False(a.TryInsert(new[] { 3.0, 4 }, 0.4, new[] { 0.15, 0.2 }));   // same cell, worse
        Assert.False(a.TryInsert(new[] { 3.0, 4 }, 0.5, new[] { 0.15, 0.2 }));   // a tie does not replace
        Assert.True(a.TryInsert(new[] { 5.0, 6 }, 0.9, new[] { 0.2, 0.9 }));     // same cell, better
        Assert.True(a.TryInsert(new[] { 7.0, 8 }, -1.0, new[] { 0.9, -0.9 }));   // another cell
        Assert.Equal(2, a.Count);
        var elite = a.Get(a.CellIndex(new[] { 0.1, 0.1 }))!;
        Assert.Equal(new[] { 5.0, 6 }, elite.Solution);
        Assert.Equal(0.9, elite.Fitness);
        Assert.Equal(new[] { 0.2, 0.9 }, elite.Descriptor);
        Assert.Equal(0.9, a.Best!.Fitness);
    }

    [Fact]
    public void CoverageAndQdScore()
    {
        var a = Make();
        Assert.Equal(0.0, a.Coverage);
        Assert.Equal(0.0, a.QdScore());
        a.TryInsert(new[] { 0.0 }, 2.0, new[] { 0.1, 0.1 });
        a.TryInsert(new[] { 0.0 }, -1.0, new[] { 0.9, 0.9 });
        a.TryInsert(new[] { 0.0 }, 0.5, new[] { 0.6, -0.2 });
        Assert.Equal(3.0 / 8, a.Coverage);
        Assert.Equal(1.5, a.QdScore(), 12);
        // with an offset below every fitness, each elite adds fitness - offset
        Assert.Equal(2.0 + 5 + -1 + 5 + 0.5 + 5, a.QdScore(offset: -5), 12);
        a.Clear();
        Assert.Equal(0, a.Count);
    }

    [Fact]
    public void BatchesOfTensorsCompeteInOrder()
    {
        var a = Make();
        var solutions = T.F64(new[] { 1.0, 1, 2, 2, 3, 3, 4, 4 }, 4, 2);
        var fitness = T.F64(new[] { 0.1, 0.3, 0.2, 5.0 });
        var desc = T.F64(new[] { 0.1, 0.1, 0.12, 0.12, 0.14, 0.14, 0.9, 0.9 }, 4, 2);
        Assert.Equal(3, a.InsertBatch(solutions, fitness, desc));   // 0.1 in, 0.3 replaces, 0.2 loses, 5.0 in
        Assert.Equal(2, a.Count);
        T.Close(new[] { 2.0, 2, 4, 4 }, a.Solutions());
        Assert.True(a.TryInsertTensor(T.F64(new[] { 9.0, 9 }), 1.0, T.F64(new[] { 0.6, -0.6 })));
        var rng = new Random(3);
        var sample = a.Sample(50, rng);
        Assert.Equal(50, sample.Count);
        Assert.Equal(3, sample.Select(e => e.Cell).Distinct().Count());
        T.Close(new[] { 9.0, 9 }, a.Get(a.CellIndex(new[] { 0.6, -0.6 }))!.SolutionTensor());
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Contains("upper", Assert.Throws<ArgumentException>(() => new MapElitesArchive(new[] { 0.0 }, new[] { 0.0 }, new[] { 3 })).Message);
        Assert.Contains("cells", Assert.Throws<ArgumentException>(() => new MapElitesArchive(new[] { 0.0 }, new[] { 1.0 }, new[] { 0 })).Message);
        Assert.Contains("cells", Assert.Throws<ArgumentException>(() => new MapElitesArchive(new[] { 0.0 }, new[] { 1.0 }, new[] { 2, 2 })).Message);
        var a = Make();
        Assert.Contains("descriptor", Assert.Throws<ArgumentException>(() => a.CellIndex(new[] { 0.5 })).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => a.CellIndex(new[] { double.NaN, 0 })).Message);
        Assert.Contains("fitness", Assert.Throws<ArgumentException>(() => a.TryInsert(new[] { 1.0 }, double.NaN, new[] { 0.5, 0 })).Message);
        a.TryInsert(new[] { 1.0 }, 0, new[] { 0.5, 0 });
        Assert.Contains("solutions", Assert.Throws<ArgumentException>(() => a.TryInsert(new[] { 1.0, 2 }, 1, new[] { 0.1, 0 })).Message);
        Assert.Contains("descriptors", Assert.Throws<ArgumentException>(() => a.InsertBatch(T.F64(new[] { 1.0 }, 1, 1), T.F64(new[] { 1.0 }), T.F64(new[] { 1.0 }, 1, 1))).Message);
        Assert.Throws<InvalidOperationException>(() => Make().Sample(1, new Random(1)));
    }
}
