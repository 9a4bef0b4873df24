using System.CommandLine;
using LossLab.Training.Data;
using LossLab.Training.Training;

namespace LossLab.Cli.Commands;

/// <summary><c>losslab train</c>: trains a classifier with any registry loss.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "fashion-mnist, mnist, cifar10, cifar100 or svhn", DefaultValueFactory = _ => "fashion-mnist" };
        var data = new Option<string?>("--data") { Description = "the dataset's folder (default: Debian's Fashion-MNIST when installed)" };
        var model = new Option<string>("--model") { Description = "small_cnn, resnet18, resnet34, resnet50, wrn28_10", DefaultValueFactory = _ => "small_cnn" };
        var loss = new Option<string>("--loss") { Description = "the loss as a registry spec, e.g. iq:divergence=js (`losslab losses` lists them)", DefaultValueFactory = _ => "cross_entropy" };
        var epochs = new Option<int>("--epochs") { Description = "number of epochs (the paper: 350)", DefaultValueFactory = _ => 5 };
        var batch = new Option<int>("--batch-size") { Description = "mini-batch size", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "initial learning rate", DefaultValueFactory = _ => 0.1 };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => 0.9 };
        var nesterov = new Option<bool>("--nesterov") { Description = "Nesterov momentum" };
        var wd = new Option<double>("--weight-decay") { Description = "weight decay", DefaultValueFactory = _ => 5e-4 };
        var schedule = new Option<string>("--schedule") { Description = "paper (x0.1 at 150/350 and 250/350 of the run), cosine or constant", DefaultValueFactory = _ => "paper" };
        var clip = new Option<double>("--clip-grad-norm") { Description = "clip the gradient norm (0: off)", DefaultValueFactory = _ => 0 };
        var gp = new Option<double>("--lambda-gp") { Description = "IQ-Learn gradient penalty weight (0: off)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 0 };
        var augment = new Option<bool>("--augment") { Description = "random crop (padding 4) and horizontal flip" };
        var limit = new Option<int>("--train-limit") { Description = "use only this many training images (0: all)", DefaultValueFactory = _ => 0 };
        var val = new Option<int>("--validation-size") { Description = "validation images held out of the training set (at most a tenth of it)", DefaultValueFactory = _ => 5000 };
        var out_ = new Option<string>("--out") { Description = "the run folder", Required = true };
        var resume = new Option<bool>("--resume") { Description = "continue the run in --out from its last checkpoint" };
        var device = DeviceOption.Create();
        var cmd = new Command("train", "Train a classifier with any registry loss (SGD, the paper's recipe); checkpoints, metrics and TensorBoard events go to --out.")
        {
            dataset, data, model, loss, epochs, batch, lr, momentum, nesterov, wd, schedule, clip, gp, seed, augment, limit, val, out_, resume, device,
        };
        cmd.SetAction(r =>
        {
            var config = new TrainConfig
            {
                Dataset = r.GetValue(dataset)!, DataDir = r.GetValue(data), Model = r.GetValue(model)!, Loss = r.GetValue(loss)!,
                Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), Lr = r.GetValue(lr), Momentum = r.GetValue(momentum),
                Nesterov = r.GetValue(nesterov), WeightDecay = r.GetValue(wd), Schedule = r.GetValue(schedule)!, ClipGradNorm = r.GetValue(clip),
                LambdaGp = r.GetValue(gp), Seed = r.GetValue(seed), Augment = r.GetValue(augment), TrainLimit = r.GetValue(limit),
                ValidationSize = r.GetValue(val), Device = r.GetValue(device)!,
            };
            return Run(config, r.GetValue(out_)!, r.GetValue(resume));
        });
        return cmd;
    }

    internal static int Run(TrainConfig config, string outDir, bool resume)
    {
        try
        {
            config.Validate();
            DeviceOption.Parse(config.Device);
            Registry.LossCatalog.CreateTrainingLoss(config.Loss);
            using var data = DatasetCatalog.Load(config.Dataset, config.DataDir, config.ValidationSize, config.Seed, config.TrainLimit);
            Console.Out.WriteLine($"losslab train: {config.Model} on {data.Name} ({data.Train.Count} train, {data.Validation.Count} validation, {data.Test.Count} test), loss {config.Loss}, {config.Epochs} epochs -> {outDir}");
            var trainer = new Trainer(config, data, outDir);
            var history = trainer.Run(resume, new ProgressPrinter(Console.Out));
            var last = history[^1];
            Console.Out.WriteLine($"done: validation error {last.ValError:P2}, NLL {last.ValNll:F4}, ECE {last.ValEce:F4}; run folder {Path.GetFullPath(outDir)} (metrics.csv, last.ckpt, best.ckpt, tensorboard/)");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or FileNotFoundException or InvalidDataException or InvalidOperationException)
        {
            Console.Error.WriteLine("losslab train: " + e.Message);
            return 2;
        }
    }
}
