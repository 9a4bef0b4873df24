using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Population;

public class DqdObjectiveTests
{
    [Fact]
    public void CombinesObjectiveAndMeasuresWithTheCoefficients()
    {
        var f = T.F64(new[] { 1.0, -2.0 });
        var m = T.F64(new[] { 0.5, 3.0, -1.0, 4.0 }, 2, 2);
        var c = T.F64(new[] { 1.0, 0.2, -0.5 });
        double g0 = 1 + 0.2 * 0.5 - 0.5 * 3, g1 = -2 + 0.2 * -1 - 0.5 * 4;
        T.Close(new[] { g0, g1 }, LossLab.Losses.dqd_objective(f, m, c, Reduction.None));
        T.Close((g0 + g1) / 2, LossLab.Losses.dqd_objective(f, m, c));
        // per-solution coefficients
        var cs = T.F64(new[] { 1.0, 0, 0, 0, 1, 1 }, 2, 3);
        T.Close(new[] { 1.0, 3.0 }, LossLab.Losses.dqd_objective(f, m, cs, Reduction.None));
        T.Close(4.0, LossLab.Losses.dqd_objective(f, m, cs, Reduction.Sum));
    }

    [Fact]
    public void ItsGradientIsTheGradientArborescenceStep()
    {
        // solution theta in R^2; f = -||theta||^2, m1 = theta_0, m2 = theta_0 * theta_1
        var theta = T.F64(new[] { 0.3, -0.7 });
        double[] c = { 1.0, 0.5, -2.0 };
        var g = T.Grad(th =>
        {
            var f = -(th * th).sum().reshape(1);
            var m = torch.stack(new[] { th[0], th[0] * th[1] }).reshape(1, 2);
            return LossLab.Losses.dqd_objective(f, m, T.F64(c));
        }, theta);
        // c0 * (-2 theta) + c1 * (1, 0) + c2 * (theta_1, theta_0)
        T.Close(new[] { -2 * 0.3 + 0.5 + -2.0 * -0.7, -2 * -0.7 + -2.0 * 0.3 }, g);

        // dqd_gradient: unnormalised it is the same; normalised, each gradient has unit norm first
        var leaf = T.F64(new[] { 0.3, -0.7 }).requires_grad_(true);
        var fv = -(leaf * leaf).sum();
        var mv = torch.stack(new[] { leaf[0], leaf[0] * leaf[1] });
        T.Close(T.Values(g), LossLab.Losses.dqd_gradient(fv, mv, new[] { leaf }, T.F64(c), normalize: false)[0]);
        double[] gf = { -0.6, 1.4 }, gm1 = { 1, 0 }, gm2 = { -0.7, 0.3 };
        double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));
        var want = Enumerable.Range(0, 2).Select(i => c[0] * gf[i] / Norm(gf) + c[1] * gm1[i] / Norm(gm1) + c[2] * gm2[i] / Norm(gm2)).ToArray();
        T.Close(want, LossLab.Losses.dqd_gradient(fv, mv, new[] { leaf }, T.F64(c))[0], 1e-9, 1e-12);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var f = T.F64(new[] { 1.0, 2.0 });
        var m = T.F64(new[] { 1.0, 2, 3, 4 }, 2, 2);
        Assert.Contains("coefficients", Assert.Throws<ArgumentException>(() => LossLab.Losses.dqd_objective(f, m, T.F64(new[] { 1.0, 2 }))).Message);
        Assert.Contains("measures", Assert.Throws<ArgumentException>(() => LossLab.Losses.dqd_objective(f, T.F64(new[] { 1.0, 2 }), T.F64(new[] { 1.0, 2 }))).Message);
        Assert.Contains("measures", Assert.Throws<ArgumentException>(() => LossLab.Losses.dqd_objective(f, T.F64(new[] { 1.0, 2, 3 }, 3, 1), T.F64(new[] { 1.0, 2 }))).Message);
        Assert.Contains("parameters", Assert.Throws<ArgumentException>(() => LossLab.Losses.dqd_gradient(T.F64(new[] { 1.0 }), T.F64(new[] { 1.0 }), new[] { T.F64(new[] { 1.0 }) }, T.F64(new[] { 1.0, 1 }))).Message);
        var big = T.F32(new float[] { 1e4f, -1e4f });
        T.Finite(T.Grad(x => LossLab.Losses.dqd_objective(x, T.F32(new float[] { 1e4f, 1e4f }, 2, 1), T.F32(new float[] { 1f, 1f })), big), "gradient");
        T.Close(3.0, new LossLab.DqdObjectiveLoss(Reduction.Sum).forward(f, m, T.F64(new[] { 1.0, 0, 0 })));
    }
}
