namespace LossLab.Tests.Training;

/// <summary>A test class with its own temporary folder, deleted after each test.</summary>
public abstract class TempFolder : IDisposable
{
    /// <summary>The folder.</summary>
    protected string Dir { get; } = Directory.CreateTempSubdirectory("losslab-data-").FullName;

    public void Dispose()
    {
        Directory.Delete(Dir, true);
        GC.SuppressFinalize(this);
    }
}
