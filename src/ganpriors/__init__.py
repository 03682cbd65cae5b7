"""ganpriors: reproducible studies of GAN latent priors."""

__version__ = "0.1.0"
