using LossLab.Training.Studies;
using Xunit;

namespace LossLab.Tests.Studies;

public class StudySpecTests
{
    private const string Json = """
    {
      "name": "tiny",
      "datasets": ["fashion-mnist"],
      "models": ["small_cnn"],
      "losses": [ {"name": "CE", "spec": "cross_entropy"}, {"name": "IQ (JS)", "spec": "iq:divergence=js"} ],
      "seeds": [0, 1],
      "training": {"epochs": 2, "batch_size": 64, "schedule": "cosine"}
    }
    """;

    [Fact]
    public void JsonAndYamlGiveTheSameSpec()
    {
        var a = StudySpec.Parse(Json, "tiny.json");
        const string yaml = """
        name: tiny
        datasets: [fashion-mnist]
        models: [small_cnn]
        losses:
          - name: CE
            spec: cross_entropy
          - name: IQ (JS)
            spec: "iq:divergence=js"
        seeds: [0, 1]
        training:
          epochs: 2
          batch_size: 64
          schedule: cosine
        """;
        var b = StudySpec.Parse(yaml, "tiny.yaml");
        Assert.Equal(a.ToJson(), b.ToJson());
        Assert.Equal(2, a.Training.Epochs);
        Assert.Equal(0.1, a.Training.Lr);
    }

    [Fact]
    public void ExpansionCoversEveryCombinationInAFixedOrder()
    {
        var runs = StudySpec.Parse(Json, "tiny.json").Expand("/tmp/s");
        Assert.Equal(4, runs.Count);
        Assert.Equal(Enumerable.Range(0, 4), runs.Select(r => r.Index));
        Assert.Equal("iq:divergence=js", runs[3].Config.Loss);
        Assert.Equal(1, runs[3].Config.Seed);
        Assert.Equal(Path.Combine("/tmp/s", "runs", "fashion-mnist", "small-cnn", "iq-js", "seed-1"), runs[3].Folder);
    }

    [Fact]
    public void MistakesAreNamed()
    {
        Assert.Contains("loss 'X'", Assert.Throws<InvalidDataException>(() => StudySpec.Parse(Json.Replace("\"name\": \"CE\", \"spec\": \"cross_entropy\"", "\"name\": \"X\", \"spec\": \"focall\""), "a.json")).Message);
        Assert.Contains("epoch", Assert.Throws<InvalidDataException>(() => StudySpec.Parse(Json.Replace("\"epochs\": 2", "\"epochs\": 0"), "a.json")).Message);
        Assert.Contains("a.json", Assert.Throws<InvalidDataException>(() => StudySpec.Parse(Json.Replace("\"seeds\"", "\"sedes\""), "a.json")).Message);
    }

    [Fact]
    public void TheSlurmScriptHasOneArrayTaskPerRun()
    {
        var spec = StudySpec.Parse(Json, "tiny.json");
        var script = new StudyRunner(spec, "/shared/tiny", _ => "{}").SlurmScript("studies/tiny.json");
        Assert.Contains("#SBATCH --array=0-3", script);
        Assert.Contains("--index \"$SLURM_ARRAY_TASK_ID\"", script);
        Assert.Contains("--aggregate", script);
    }
}
