using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;
using RR = LossLab.Tests.Losses.Ranking.RankingRef;

namespace LossLab.Tests.Losses.Ranking;

/// <summary>pairwise_hinge, pairwise_logistic and soft_pairwise against loops over the pairs of each list.</summary>
public class PairwiseLossTests
{
    private static readonly double[,] S = { { 0.5, -1.0, 2.0, 0.1, 0.7 }, { 1.5, 1.2, -0.3, 0.0, 2.2 }, { -0.4, 0.9, 0.3, 1.1, -2.0 }, { 0.2, 0.2, 0.6, -0.8, 1.0 } };
    private static readonly double[,] Y = { { 2, 0, 1, 0, 3 }, { 1, 1, 0, -1, 2 }, { 0, 0, 0, 0, 0 }, { 1, 0, -1, 2, 0 } };   // list 3 has no pair; -1 is padding
    private static readonly bool[,] Mask = { { true, true, false, true, true }, { true, true, true, true, false }, { true, true, true, true, true }, { true, true, true, true, true } };

    private static Tensor St => T.F64(RR.Flat(S), 4, 5);
    private static Tensor Yt => T.F64(RR.Flat(Y), 4, 5);
    private static Tensor Mt => torch.tensor(Mask.Cast<bool>().ToArray()).reshape(4, 5);

    public static TheoryData<string, double, double, double> Settings() => new()
    {
        { "hinge", 1.0, 1.0, 1.0 }, { "hinge", 0.3, 1.0, 2.0 },
        { "logistic", 0.0, 1.0, 1.0 }, { "logistic", 0.0, 1.0, 0.5 },
        { "soft", 1.0, 1.0, 1.0 }, { "soft", 0.5, 4.0, 1.0 }, { "soft", -0.2, 0.3, 3.0 },
    };

    private static Func<double, double> PairLoss(string kind, double margin, double beta) => kind switch
    {
        "hinge" => d => Math.Max(0, margin - d),
        "logistic" => d => Math.Log(1 + Math.Exp(-d)),
        _ => d => RR.Softplus(beta * (margin - d)) / beta,
    };

    private static Tensor Loss(string kind, Tensor s, Tensor y, Tensor? mask, double margin, double beta, double t, long chunk, Reduction r) => kind switch
    {
        "hinge" => F.pairwise_hinge_loss(s, y, mask, margin, t, chunk, r),
        "logistic" => F.pairwise_logistic_loss(s, y, mask, t, chunk, r),
        _ => F.soft_pairwise_loss(s, y, mask, margin, beta, t, chunk, r),
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void MatchesALoopOverPairsForEachReduction(string kind, double margin, double beta, double t)
    {
        foreach (bool masked in new[] { false, true })
        {
            var r = RR.Pairwise(S, Y, masked ? Mask : null, PairLoss(kind, margin, beta), t);
            var m = masked ? Mt : null;
            T.Close(RR.PerList(r), Loss(kind, St, Yt, m, margin, beta, t, 0, Reduction.None), 1e-12, 1e-14);
            T.Close(r.sums.Sum(), Loss(kind, St, Yt, m, margin, beta, t, 0, Reduction.Sum), 1e-12, 1e-14);
            T.Close(RR.Mean(r), Loss(kind, St, Yt, m, margin, beta, t, 0, Reduction.Mean), 1e-12, 1e-14);
        }
    }

    [Fact]
    public void TfRankingsDocumentedExamples()
    {
        // tfr.keras.losses.PairwiseHingeLoss, ragged example: y [[1, 0], [0, 1, 0]], s [[0.6, 0.8], [0.5, 0.8, 0.4]]:
        // pair losses 1.2, 0.7, 0.6 (Keras reports 2.5 / 6 = 0.41666 after dividing by batch x list size).
        var s = T.F64(new[] { 0.6, 0.8, 0.0, 0.5, 0.8, 0.4 }, 2, 3);
        var y = T.F64(new[] { 1.0, 0.0, -1.0, 0.0, 1.0, 0.0 }, 2, 3);
        T.Close(2.5, F.pairwise_hinge_loss(s, y, reduction: Reduction.Sum), 1e-12);
        T.Close(2.5 / 3, F.pairwise_hinge_loss(s, y), 1e-12);
        T.Close(new[] { 1.2, 0.65 }, F.pairwise_hinge_loss(s, y, reduction: Reduction.None), 1e-12);
        // PairwiseLogisticLoss on [[1, 0]], [[0.6, 0.8]]: log(1 + e^0.2) = 0.798139 (Keras: / 2 = 0.399069).
        T.Close(Math.Log(1 + Math.Exp(0.2)), F.pairwise_logistic_loss(T.F64(new[] { 0.6, 0.8 }, 1, 2), T.F64(new[] { 1.0, 0.0 }, 1, 2)), 1e-12);
    }

    [Fact]
    public void SoftPairwiseBracketsTheHingeAndContainsRankNet()
    {
        T.Close(T.Values(F.pairwise_logistic_loss(St, Yt, reduction: Reduction.None)), F.soft_pairwise_loss(St, Yt, margin: 0, beta: 1, reduction: Reduction.None), 1e-14);
        var hinge = T.Scalar(F.pairwise_hinge_loss(St, Yt, margin: 0.7));
        foreach (double beta in new[] { 1.0, 10.0, 1e3, 1e6 })
        {
            double soft = T.Scalar(F.soft_pairwise_loss(St, Yt, margin: 0.7, beta: beta));
            Assert.True(soft >= hinge && soft - hinge <= Math.Log(2) / beta + 1e-12, $"beta {beta}: soft {soft}, hinge {hinge}");
        }
    }

    [Fact]
    public void ChunkedAndUnchunkedAgreeInValueAndGradient()
    {
        var s = torch.randn(7, 6, dtype: ScalarType.Float64, generator: new Generator(51));
        var y = torch.randint(-1, 4, new[] { 7L, 6 }, dtype: ScalarType.Float64, generator: new Generator(52));
        foreach (var kind in new[] { "hinge", "logistic", "soft" })
            foreach (var r in new[] { Reduction.None, Reduction.Mean })
            {
                var whole = T.Values(Loss(kind, s, y, null, 1, 2, 1, 0, r));
                var g = T.Values(T.Grad(v => Loss(kind, v, y, null, 1, 2, 1, 0, r), s));
                foreach (long chunk in new long[] { 1, 3, 7 })
                {
                    T.Close(whole, Loss(kind, s, y, null, 1, 2, 1, chunk, r), 1e-13, 1e-15);
                    T.Close(g, T.Grad(v => Loss(kind, v, y, null, 1, 2, 1, chunk, r), s), 1e-13, 1e-15);
                }
            }
    }

    [Fact]
    public void IntegerLabelsAndNoPairsWork()
    {
        var s = T.F64(new[] { 1.0, 2.0, 3.0 }, 1, 3);
        T.Close(Math.Max(0, 1 - (1 - 3.0)), F.pairwise_hinge_loss(s, torch.tensor(new long[] { 1, -1, 0 }).reshape(1, 3)), 1e-12);
        T.Close(0.0, F.pairwise_logistic_loss(s, T.F64(new[] { 1.0, 1.0, 1.0 }, 1, 3)));
        T.Close(new double[3], T.Grad(v => F.soft_pairwise_loss(v, T.F64(new[] { 1.0, 1.0, 1.0 }, 1, 3)), s));
    }

    [Fact]
    public void ExtremeScoresStayFiniteInFloat32()
    {
        var s = T.F32(new float[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 5f }, 2, 3);
        var y = T.F32(new float[] { 0f, 2f, 1f, 1f, 0f, 2f }, 2, 3);
        foreach (var kind in new[] { "hinge", "logistic", "soft" })
        {
            var loss = Loss(kind, s, y, null, 1, 3, 1, 0, Reduction.Mean);
            T.Finite(loss, kind);
            Assert.True(T.Scalar(loss) > 1e3);
            T.Finite(T.Grad(v => Loss(kind, v, y, null, 1, 3, 1, 0, Reduction.Mean), s), kind + " gradient");
        }
    }

    [Fact]
    public void RegistryEntriesComputeTheSame()
    {
        var inputs = new Dictionary<string, Tensor> { ["scores"] = St, ["labels"] = Yt, ["mask"] = Mt };
        T.Close(T.Scalar(F.soft_pairwise_loss(St, Yt, Mt, 0.5, 2.0)), LossCatalog.Create("soft_pairwise:margin=0.5,beta=2").Forward(inputs), 1e-14);
        T.Close(T.Scalar(F.pairwise_hinge_loss(St, Yt, Mt)), new PairwiseHingeLoss().forward(St, Yt, Mt), 1e-14);
        T.Close(T.Scalar(F.pairwise_logistic_loss(St, Yt)), new PairwiseLogisticLoss().forward(St, Yt), 1e-14);
        T.Close(T.Scalar(F.soft_pairwise_loss(St, Yt)), new SoftPairwiseLoss().forward(St, Yt), 1e-14);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.pairwise_hinge_loss(St, T.F64(new double[4], 2, 2)));
        Assert.Contains("labels", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.pairwise_logistic_loss(St.flatten(), Yt.flatten()));
        Assert.Contains("scores", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.soft_pairwise_loss(St, Yt, torch.ones(4, 4, dtype: ScalarType.Bool)));
        Assert.Contains("mask", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.soft_pairwise_loss(St, Yt, beta: 0));
        Assert.Contains("beta", e4.Message);
        var e5 = Assert.Throws<ArgumentOutOfRangeException>(() => F.pairwise_hinge_loss(St, Yt, temperature: -1));
        Assert.Contains("temperature", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => F.pairwise_hinge_loss(St, Yt.to_type(ScalarType.Bool)));
        Assert.Contains("labels", e6.Message);
    }
}
