"""Reference numbers from the papers (summarised in docs/papers.md): Singh et al. (ICML 2019), Table 1, CelebA;
Liu et al. (MaEM-GAN, AAAI 2023), CIFAR-10 ablation.

Different dataset, resolution and feature network (Inception on CelebA): shown beside ours for
the shape of the result, not for direct comparison of values.
"""

SINGH2019_CELEBA = {
    # prior: (IS prior, IS mid-point, FID prior, FID mid-point)
    "uniform": (1.843, 1.369, 24.055, 40.371),
    "normal": (1.805, 1.371, 26.173, 42.136),
    "gamma": (1.776, 1.618, 29.912, 28.608),
    "cauchy": (1.625, 1.628, 59.601, 60.128),
    "nonparametric": (1.933, 1.681, 17.735, 19.115),
}
SINGH2019_NONPARAMETRIC_KL = 0.0075

# MaEM-GAN (Liu et al., AAAI 2023), DCGAN on CIFAR-10, FID with Inception features. Keys are the
# values of params `studies.<name>.paper_rows`; None: the paper gives no number for this row.
MAEMGAN2023_CIFAR10_FID = {
    "baseline": None,          # "> 100": the embedding discriminator without regularisers
    "disomap": 51.96,
    "disomap_dlle": 31.70,
    "disomap_rb_maem": 30.73,
    "all": 29.22,
    "wgan_gp": 41.86,
    "dcgan": None,
}
MAEMGAN2023_CIFAR10_FID_NOTES = {"baseline": "> 100"}
# I-Variance (x 1e-3, Inception softmax): baseline 3.41 -> MaEM-GAN 4.88.
MAEMGAN2023_CIFAR10_I_VARIANCE = {"baseline": 3.41e-3, "all": 4.88e-3}
