using LossLab.Distances;
using LossLab.Tests.Support;
using Xunit;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Metric.Distances;

public class AnchorBlocksTests
{
    [Theory]
    [InlineData("euclidean", true)]
    [InlineData("euclidean", false)]
    [InlineData("squared_euclidean", true)]
    [InlineData("cosine", true)]
    [InlineData("cosine_similarity", true)]
    public void BlocksAreTheRowsOfTheDefinitionsMatrix(string name, bool normalize)
    {
        var rows = R.Rows(4, 7, 3, 2);
        var d = DistanceNames.Parse(name, normalize);
        var blocks = new AnchorBlocks(d, R.M(rows));
        foreach (var (start, length) in new (long, long)[] { (0, 7), (0, 3), (3, 3), (6, 1) })
        {
            var want = Enumerable.Range((int)start, (int)length).SelectMany(i => rows.Select(b => R.Distance(name, rows[i], b, normalize))).ToArray();
            T.Close(want, blocks.Block(start, length), 1e-10, 1e-12);
        }
    }
}
