using LossLab.Training.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

public sealed class CifarTests : TempFolder
{
    /// <summary>Pixel (image id, channel, row, col): tells every coordinate apart.</summary>
    private static byte Pixel(int id, int c, int row, int col) => (byte)((id * 131 + c * 59 + row * 5 + col * 3) % 256);

    /// <summary>CIFAR binary rows: label byte(s), then 1024 red, 1024 green, 1024 blue bytes, each row-major.</summary>
    private static byte[] Rows(IEnumerable<(int Id, byte[] Labels)> images)
    {
        var bytes = new List<byte>();
        foreach (var (id, labels) in images)
        {
            bytes.AddRange(labels);
            for (int c = 0; c < 3; c++)
                for (int row = 0; row < 32; row++)
                    for (int col = 0; col < 32; col++)
                        bytes.Add(Pixel(id, c, row, col));
        }
        return [.. bytes];
    }

    private void Write(string folder, string name, byte[] bytes)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, name), bytes);
    }

    private static void AssertImages(ImageSet set, int[] ids)
    {
        Assert.Equal(new long[] { ids.Length, 3, 32, 32 }, set.Images.shape);
        Assert.Equal(ScalarType.Int64, set.Labels.dtype);
        DataTestSets.AssertPixels(set.Images, (i, c, row, col) => Pixel(ids[i], c, row, col));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cifar10ReadsTheFiveTrainingBatchesInOrderAndTheTestBatch(bool inSubfolder)
    {
        string folder = inSubfolder ? Path.Combine(Dir, Cifar10.Subfolder) : Dir;
        for (int b = 1; b <= 5; b++)
            Write(folder, $"data_batch_{b}.bin", Rows([(10 * b, [(byte)b]), (10 * b + 1, [(byte)(9 - b)])]));
        Write(folder, "test_batch.bin", Rows([(99, [3])]));
        using var train = Cifar10.Load(Dir, "train");
        AssertImages(train, [10, 11, 20, 21, 30, 31, 40, 41, 50, 51]);
        Assert.Equal([1L, 8, 2, 7, 3, 6, 4, 5, 5, 4], train.Labels.data<long>().ToArray());
        using var test = Cifar10.Load(Dir, "test");
        AssertImages(test, [99]);
        Assert.Equal([3L], test.Labels.data<long>().ToArray());
    }

    [Theory]
    [InlineData(Cifar100Labels.Fine)]
    [InlineData(Cifar100Labels.Coarse)]
    public void Cifar100ReadsFineLabelsByDefaultAndCoarseOnRequest(Cifar100Labels kind)
    {
        Write(Path.Combine(Dir, Cifar100.Subfolder), "train.bin", Rows([(1, [19, 99]), (2, [0, 0]), (3, [7, 42])]));
        using var set = kind == Cifar100Labels.Fine ? Cifar100.Load(Dir, "train") : Cifar100.Load(Dir, "train", kind);
        AssertImages(set, [1, 2, 3]);
        long[] want = kind == Cifar100Labels.Fine ? [99, 0, 42] : [19, 0, 7];
        Assert.Equal(want, set.Labels.data<long>().ToArray());
    }

    [Fact]
    public void MissingFilesAreListedWithWhereToGetThem()
    {
        Write(Dir, "data_batch_1.bin", Rows([(1, [1])]));
        Write(Dir, "data_batch_3.bin", Rows([(1, [1])]));
        var e = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(Dir, "train"));
        Assert.Contains("data_batch_2.bin, data_batch_4.bin, data_batch_5.bin", e.Message);
        Assert.DoesNotContain("data_batch_1.bin,", e.Message.Split("holds")[0]);
        Assert.Contains(Cifar10.Url, e.Message);
        var e100 = Assert.Throws<FileNotFoundException>(() => Cifar100.Load(Dir, "test"));
        Assert.Contains("test.bin", e100.Message);
        Assert.Contains(Cifar100.Url, e100.Message);
    }

    [Fact]
    public void TruncatedFilesNameTheFileAndTheRowSize()
    {
        var rows = Rows([(1, [1]), (2, [2])]);
        Write(Dir, "test_batch.bin", rows[..^5]);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10.Load(Dir, "test"));
        Assert.Contains("test_batch.bin", e.Message);
        Assert.Contains($"{rows.Length - 5} bytes", e.Message);
        Assert.Contains("3073", e.Message);
    }

    [Fact]
    public void EmptyFilesAreAnError()
    {
        Write(Dir, "test.bin", []);
        Assert.Contains("test.bin", Assert.Throws<InvalidDataException>(() => Cifar100.Load(Dir, "test")).Message);
    }

    [Fact]
    public void ACifar100FileIsNotReadAsCifar10()
    {
        // 3073 rows of 3074 bytes are a whole number of 3073-byte rows only by accident: use a count that is not.
        Write(Dir, "test_batch.bin", Rows([(1, [1, 1]), (2, [2, 2])]));
        Assert.Contains("3073", Assert.Throws<InvalidDataException>(() => Cifar10.Load(Dir, "test")).Message);
    }

    [Fact]
    public void LabelsOutOfRangeAreAnError()
    {
        Write(Dir, "test_batch.bin", Rows([(1, [1]), (2, [10])]));
        var e = Assert.Throws<InvalidDataException>(() => Cifar10.Load(Dir, "test"));
        Assert.Contains("test_batch.bin", e.Message);
        Assert.Contains("row 1 has label 10", e.Message);
        Write(Dir, "test.bin", Rows([(1, [20, 5])]));
        Assert.Contains("coarse label 20", Assert.Throws<InvalidDataException>(() => Cifar100.Load(Dir, "test")).Message);
    }

    [Fact]
    public void UnknownSplitsAreAnError()
    {
        Assert.Throws<ArgumentException>(() => Cifar10.Load(Dir, "val"));
        Assert.Throws<ArgumentException>(() => Cifar100.Load(Dir, "t10k"));
    }

    [Fact]
    public void ClassNamesAreCompleteAndInLabelOrder()
    {
        Assert.Equal(10, Cifar10.Classes.Count);
        Assert.Equal(100, Cifar100.FineClasses.Count);
        Assert.Equal(20, Cifar100.CoarseClasses.Count);
        // CIFAR-100's labels number the class names in alphabetical order.
        Assert.Equal(Cifar100.FineClasses.Order(StringComparer.Ordinal), Cifar100.FineClasses);
        Assert.Equal(Cifar100.CoarseClasses.Order(StringComparer.Ordinal), Cifar100.CoarseClasses);
        Assert.Equal(100, Cifar100.FineClasses.Distinct().Count());
    }
}
