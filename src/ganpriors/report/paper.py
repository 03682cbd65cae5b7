"""Reference numbers from Singh et al. (ICML 2019), Table 1, CelebA (see PAPERS.md section 1).

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
