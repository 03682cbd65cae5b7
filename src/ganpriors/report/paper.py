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

# The GAN survey systems on CIFAR-10 (32 x 32, 10 classes), from ../shared/reference/SURVEY_SYSTEMS.md
# sections 1-7 and 9. Reference values under other protocols and data, never targets. Keys are
# the values of params `studies.<name>.references`; each source: (IS, FID, intra-FID), None where
# it gives no number.
SURVEY_CIFAR10_SOURCES = {
    "paper": "the system's paper (TF-Inception IS, FID on 50k samples)",
    "StudioGAN": "StudioGAN benchmark (TF-InceptionV3; 50k fakes vs the 50k train images; best over training)",
    "Mimicry": "Mimicry (ResNet nets; 50k fakes vs the train split; IS in 10 splits)",
}
SURVEY_CIFAR10 = {
    "dcgan": {},
    "wgan": {"StudioGAN": (3.59, 107.68, 158.11)},
    "wgan_gp": {"paper": (7.86, None, None), "StudioGAN": (5.22, 53.98, 119.22), "Mimicry": (7.33, 22.29, None)},
    "sagan": {"StudioGAN": (8.64, 10.35, 25.00)},
    "biggan": {"paper": (9.22, 14.73, None), "StudioGAN": (9.96, 4.16, 14.29)},
    "logan": {"paper": (8.67, 17.7, None), "StudioGAN": (7.89, 20.45, 95.82)},
    "unet_gan": {},   # no CIFAR-10 number: FFHQ, CelebA and COCO-animals only
    "icgan": {},      # no CIFAR-10 number: ImageNet and COCO-Stuff only
    "adcgan": {"StudioGAN": (9.91, 3.93, 14.27)},
}
