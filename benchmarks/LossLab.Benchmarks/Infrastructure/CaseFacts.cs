namespace LossLab.Benchmarks.Infrastructure;

/// <summary>A benchmark whose cases are bound by memory traffic: the bytes one call must at least move.</summary>
public interface IBandwidthBound
{
    /// <summary>Bytes read plus bytes written by one call, at the least (e.g. read the logits, write their gradient); null where no floor applies to the case.</summary>
    double? BytesMoved { get; }
}

/// <summary>A benchmark whose one call processes a batch of images (for an images-per-second column).</summary>
public interface IImageBatch
{
    /// <summary>Images per call of the benchmark method <paramref name="method"/>; null where that method is not a whole step.</summary>
    int? ImagesPerCall(string method);
}
