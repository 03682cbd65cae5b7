import pytest
import torch

from ganpriors.nets.resolution import centre_crop, pad_to


def test_pad_to_centres_the_image_on_background_and_crop_inverts_it():
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    padded = pad_to(x, 32)
    assert padded.shape == (2, 1, 32, 32)
    assert torch.equal(padded[..., 2:30, 2:30], x)
    border = padded.clone()
    border[..., 2:30, 2:30] = -1.0
    assert torch.equal(border, torch.full_like(padded, -1.0))
    assert torch.equal(centre_crop(padded, 28, 28), x)


def test_pad_to_is_a_no_op_at_the_size_and_refuses_larger_images():
    x = torch.zeros(1, 3, 32, 32)
    assert pad_to(x, 32) is x
    with pytest.raises(ValueError, match="cannot pad 32 x 32 images to 28 x 28"):
        pad_to(x, 28)
    with pytest.raises(ValueError, match="cannot crop"):
        centre_crop(torch.zeros(1, 1, 28, 28), 32, 32)
