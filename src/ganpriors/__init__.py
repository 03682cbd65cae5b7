"""ganpriors: reproducible studies of GAN latent priors."""
import os

# pydantic looks for plugins in every installed distribution's entry points the first time a model
# class is built: about 0.1-0.2 s of each Snakefile parse and stage start-up in this environment
# (200-odd packages), for plugins ganpriors does not use. A value set by the user is kept.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

__version__ = "0.1.0"
