using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using LM = LossLab.Metrics;

namespace LossLab.Tests.Metrics;

public class EvaluationTests
{
    [Fact]
    public void GathersEveryMetricAndRoundTripsThroughJson()
    {
        var (z, y) = TemperatureScalingTests.Overconfident(5, 600, 6, 3.0);
        var (vz, vy) = TemperatureScalingTests.Overconfident(6, 600, 6, 3.0);
        var ood = torch.randn(new long[] { 300, 6 }, dtype: ScalarType.Float64, generator: new torch.Generator(7));
        var ev = Evaluation.Compute(z, y, ood, vz, vy);
        var p = torch.softmax(z, 1);
        Assert.Equal(600, ev.Samples);
        Assert.Equal(6, ev.Classes);
        Assert.Equal(T.Scalar(LM.accuracy(z, y)), ev.Accuracy);
        Assert.Equal(1 - ev.Accuracy, ev.Error, 12);
        Assert.Equal(T.Scalar(LM.top_k_accuracy(z, y, 5)), ev.TopKAccuracy);
        Assert.Equal(T.Scalar(LM.ece(p, y)), ev.Calibration.Ece, 12);
        Assert.Equal(T.Scalar(LM.adaece(p, y)), ev.Calibration.AdaEce, 12);
        Assert.Equal(T.Scalar(LM.classwise_ece(p, y)), ev.Calibration.ClasswiseEce, 12);
        Assert.Equal(T.Scalar(LM.mce(p, y)), ev.Calibration.Mce, 12);
        Assert.Equal(T.Scalar(LM.nll(z, y)), ev.Calibration.Nll, 12);
        Assert.Equal(T.Scalar(LM.brier(z, y)), ev.Calibration.Brier, 12);
        Assert.NotNull(ev.Temperature);
        Assert.NotNull(ev.CalibrationAfterTemperature);
        Assert.Equal(T.Scalar(LM.nll(z / ev.Temperature!.Temperature, y)), ev.CalibrationAfterTemperature!.Nll, 12);
        Assert.Equal(4, ev.Ood.Count);
        Assert.Equal(new[] { "msp", "max_logit", "neg_entropy", "energy" }, ev.Ood.Select(o => o.Score));
        Assert.Equal(OodDetection.auroc(LM.energy_score(z), LM.energy_score(ood)), ev.Ood[3].Auroc, 12);

        string json = ev.ToJson();
        Assert.Contains("\"adaece\"", json.Replace("ada_ece", "adaece"));
        Assert.Contains("\"Infinity\"", json);
        var back = Evaluation.FromJson(json);
        Assert.Equal(ev.Calibration.Ece, back.Calibration.Ece);
        Assert.Equal(ev.Temperature.Temperature, back.Temperature!.Temperature);
        Assert.Equal(ev.Ood[0].Roc.Thresholds, back.Ood[0].Roc.Thresholds);
        Assert.Equal(ev.Calibration.Reliability.Count, back.Calibration.Reliability.Count);
        Assert.Equal(json, back.ToJson());
    }

    [Fact]
    public void OptionalPartsStayEmpty()
    {
        var (z, y) = TemperatureScalingTests.Overconfident(8, 50, 3, 1.0);
        var ev = Evaluation.Compute(z, y);
        Assert.Null(ev.Temperature);
        Assert.Null(ev.CalibrationAfterTemperature);
        Assert.Empty(ev.Ood);
        Assert.Equal(1.0, ev.TopKAccuracy);   // k = 5 >= 3 classes
        var back = Evaluation.FromJson(ev.ToJson());
        Assert.Null(back.Temperature);
        Assert.Contains("val_labels", Assert.Throws<ArgumentException>(() => Evaluation.Compute(z, y, val_logits: z)).Message);
        Assert.Contains("ood_logits", Assert.Throws<ArgumentException>(() => Evaluation.Compute(z, y, ood_logits: torch.zeros(2, 4, dtype: ScalarType.Float64))).Message);
    }
}
