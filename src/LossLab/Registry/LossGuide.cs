namespace LossLab.Registry;

/// <summary>One recommendation of the guide: a loss spec and when to reach for it.</summary>
/// <param name="Spec">A registry or composite spec.</param>
/// <param name="When">When it is the right choice.</param>
public sealed record GuideChoice(string Spec, string When);

/// <summary>A common mistake and the LossLab loss or option that avoids it.</summary>
/// <param name="Mistake">What goes wrong.</param>
/// <param name="Remedy">What to use instead (names a spec or option).</param>
/// <param name="Spec">The spec that implements the remedy.</param>
public sealed record GuidePitfall(string Mistake, string Remedy, string Spec);

/// <summary>The guide's advice for one kind of problem.</summary>
/// <param name="Problem">The problem's key (regression, binary, multiclass, ...).</param>
/// <param name="Title">A short title.</param>
/// <param name="Choices">Recommended losses, first the default.</param>
/// <param name="Pitfalls">Mistakes to avoid.</param>
public sealed record GuideEntry(string Problem, string Title, IReadOnlyList<GuideChoice> Choices, IReadOnlyList<GuidePitfall> Pitfalls);

/// <summary>
/// How to choose a loss, by problem: the short form of docs/choosing-a-loss.md, printed by
/// <c>losslab losses --for PROBLEM</c>. Every spec in it is a valid registry spec (a test checks).
/// </summary>
public static class LossGuide
{
    /// <summary>Every entry.</summary>
    public static IReadOnlyList<GuideEntry> Entries { get; } =
    [
        new("regression", "Predicting real numbers",
        [
            new("mse_loss", "the default when errors are roughly Gaussian; it is the Gaussian likelihood with fixed variance"),
            new("huber_loss:delta=1", "when some targets are outliers: quadratic near 0, linear beyond delta"),
            new("quantile:quantiles=0.1;0.5;0.9", "when you need intervals, not only a point: one output per quantile"),
            new("gaussian_nll_loss", "when the model should also predict its own uncertainty (a variance per output)"),
        ],
        [
            new("MSE on targets with heavy tails: a few outliers dominate the gradient", "Huber, log-cosh or L1 bound the outliers' pull", "huber_loss"),
            new("Relative errors judged with MSE on raw scales", "compare in log space", "msle"),
        ]),
        new("binary", "Two classes, or many independent yes/no labels",
        [
            new("binary_cross_entropy_with_logits", "the default: logits in, stable log-sigmoid form"),
            new("binary_cross_entropy_with_logits", "with pos_weight when positives are rare (pass pos_weight as an input)"),
            new("sigmoid_focal_loss:alpha=0.25,gamma=2", "dense detection, or extreme imbalance with many easy negatives"),
        ],
        [
            new("Sigmoid then binary_cross_entropy on probabilities: saturates and loses precision", "pass logits to the with-logits form", "binary_cross_entropy_with_logits"),
            new("MSE on 0/1 labels: a weak, vanishing gradient when confidently wrong", "use a likelihood loss", "binary_cross_entropy_with_logits"),
        ]),
        new("multiclass", "One label out of C classes",
        [
            new("cross_entropy", "the default; add label_smoothing=0.1 for large models that overfit their confidence"),
            new("focal:gamma=3", "better calibration than cross-entropy (Mukhoti et al. 2020); with class weight for imbalance"),
            new("iq:divergence=js", "IQ Loss: f-divergence minimisation; bounded target rewards (docs/iq-loss.md); measure it on your data with losslab study"),
            new("cross_entropy + 2*mmce", "an explicit calibration penalty on top of cross-entropy"),
        ],
        [
            new("MSE for classification: a bounded, weak gradient when confidently wrong and no likelihood", "use cross-entropy or focal", "cross_entropy"),
            new("Unweighted cross-entropy under strong class imbalance: the rare classes barely train", "pass class weights (the weight input) or use focal with per-class weight", "focal:gamma=2"),
            new("Label smoothing with class weights in PyTorch's form pulls predictions towards heavy classes", "consistent_smoothing_weights=true", "cross_entropy:label_smoothing=0.1,consistent_smoothing_weights=true"),
        ]),
        new("embeddings", "Learning a metric space (retrieval, faces, speakers)",
        [
            new("multiple_negatives_ranking", "pairs (anchor, positive) with in-batch negatives: the usual sentence-embedding loss"),
            new("triplet:miner=semi_hard,margin=0.2", "labelled batches; mining decides what it learns"),
            new("supcon", "several views per sample and labels: supervised contrastive"),
            new("arcface", "closed-set identification with many classes: an angular margin softmax"),
        ],
        [
            new("Triplets without mining: most triplets are already satisfied and contribute nothing", "mine batch-hard or semi-hard triplets", "triplet:miner=batch_hard"),
            new("Contrastive losses with a fixed, too-high temperature: a flat similarity distribution", "lower the temperature or learn it (CLIP)", "clip"),
        ]),
        new("generation", "Generative models (GANs, VAEs, diffusion, flows)",
        [
            new("gan_non_saturating", "GAN generator: avoids the vanishing gradient of the minimax form"),
            new("hinge_gan", "GAN with a hinge critic (BigGAN, SAGAN)"),
            new("ddpm", "diffusion: predict the noise; v_prediction for better-behaved high-noise steps"),
            new("flow_matching", "rectified flow: regress the straight-line velocity"),
            new("vae_elbo(beta=anneal(0,1,10000))", "a VAE with KL annealing"),
        ],
        [
            new("beta-VAE collapse: the KL term wins early, the decoder ignores the latent", "anneal beta from 0 (or cyclically) and use free bits", "vae_elbo(beta=cyclical(0,1,5000))"),
            new("WGAN critic without a Lipschitz constraint", "add the gradient penalty", "wgan + 10*gradient_penalty"),
        ]),
        new("rl", "Reinforcement learning",
        [
            new("ppo", "on-policy policy optimisation: clipped ratio, value loss, entropy bonus"),
            new("sac_actor", "continuous control off-policy, with sac_critic and sac_temperature"),
            new("dqn", "discrete actions, off-policy; double-DQN targets by option"),
            new("count_bonus:beta=0.01", "sparse rewards: a count-based exploration bonus beta / sqrt(n) over SimHash codes (or the curiosity of icm, rnd)"),
            new("contrastive_model:mode=spr", "learning from pixels: an auxiliary encoder objective (SPR; mode=curl, temporal_contrastive, reward_prediction, inverse_dynamics)"),
        ],
        [
            new("No entropy term: the policy collapses to one action early and stops exploring", "keep an entropy bonus (entropy_coef)", "actor_critic"),
            new("Non-stationary value targets computed from the network being trained", "hold the targets (a target network); DQN's targets are held terms", "dqn"),
            new("A forward model trained through its own target features: the encoder collapses them and curiosity vanishes", "hold the target features and train the encoder with inverse dynamics", "forward_dynamics:hold_features=true"),
        ]),
        new("alignment", "Aligning language models to preferences",
        [
            new("dpo", "offline preference pairs, no reward model; loss_type=robust (label_smoothing) for noisy labels, ipo against overfitting near-deterministic preferences"),
            new("kto", "unpaired thumbs-up / thumbs-down data"),
            new("grpo", "online RL from verifiable rewards with group-normalised advantages"),
            new("reward_model", "train a Bradley-Terry reward model for PPO-style RLHF"),
        ],
        [
            new("No KL penalty to the reference policy in RLHF: reward hacking and drift", "penalise the KL in the reward, or use k2 as a loss (same gradient)", "rlhf_kl_penalty"),
            new("The k3 KL estimator used as a loss: a biased gradient (Liu et al.)", "k1 in the reward or k2 as a loss", "kl_estimator:estimator=k2,mode=as_loss"),
        ]),
        new("continual", "Learning tasks in sequence without forgetting",
        [
            new("ewc", "elastic weight consolidation: a Fisher-weighted pull towards the old task's weights"),
            new("knowledge_distillation", "distil the previous model's outputs while learning the new task"),
        ],
        [
            new("Fine-tuning on the new task alone: catastrophic forgetting", "add an EWC or distillation term", "cross_entropy + 100*ewc"),
        ]),
        new("open-endedness", "Populations, quality-diversity and open-ended learning",
        [
            new("novelty", "reward behaviours far from an archive (novelty search)"),
            new("dpp_diversity", "a population-level diversity bonus (log-det of a kernel)"),
            new("exploitability", "measure how far a population's mixture is from Nash (PSRO)"),
            new("aurora", "quality-diversity without hand-made descriptors: learn them with an autoencoder (AURORA), novelty over them"),
            new("fictitious_play", "two-player games: best-respond to the opponent's average strategy (regret or cross-entropy)"),
        ],
        [
            new("Optimising the objective alone in deceptive problems: the search converges to a local optimum", "add novelty or a QD archive (MapElitesArchive)", "novelty"),
            new("Best-responding to the opponent's latest strategy: play cycles (rock-paper-scissors)", "best-respond to its average strategy (fictitious play)", "fictitious_play"),
        ]),
    ];

    /// <summary>The entry for a problem key, or null.</summary>
    public static GuideEntry? For(string problem) =>
        Entries.FirstOrDefault(e => string.Equals(e.Problem, problem.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The problem keys.</summary>
    public static IReadOnlyList<string> Problems => Entries.Select(e => e.Problem).ToList();
}
