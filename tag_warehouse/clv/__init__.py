"""Predicted customer lifetime value: BG/NBD purchase counts x Gamma-Gamma spend,
and P(alive) from MBG/NBD.

References
----------
* Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
  alternative to the Pareto/NBD model", Marketing Science 24(2) -- BG/NBD.
* Fader, Hardie & Lee (2005), "RFM and CLV: Using iso-value curves for customer
  base analysis", JMR 42(4), and Fader & Hardie (2013), "The Gamma-Gamma model
  of monetary value" -- Gamma-Gamma spend model.
* Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison
  of models for customer base analysis", IJRM 24(3), and Wagner & Hoppe (2008),
  "Erratum on the MBG/NBD model", IJRM 25(3) -- MBG/NBD.

Conventions
-----------
* One "purchase" is one purchase *day* per customer (several orders on the same
  day are merged and their amounts summed).
* ``frequency`` x = number of repeat purchase days, ``recency`` t_x = time from
  the first to the last purchase day, ``T`` = time from the first purchase day to
  the end of the calibration period, all in ``unit`` ("week" or "day").
* The likelihoods are maximised over the log of the parameters, on the distinct
  rows of the summary weighted by their multiplicity (the log-likelihood is a
  weighted sum), which keeps fitting fast for millions of customers. The fits
  also take rows grouped beforehand (``weights``: customers per row, column
  ``customers`` of a grouped summary, WEIGHT_COLUMN) and reach the same optimum.

Layout
------
One module per model and step; this package re-exports their names, so
``from tag_warehouse import clv; clv.fit_clv_models(...)`` works as before.

* ``_common``: types, constants, errors, FitResult and ModelFit, unit and date helpers.
* ``summary``: the RFM summary (summarise_transactions).
* ``bgnbd``, ``mbgnbd``, ``gamma_gamma``: each model's likelihood, fit and predictions.
* ``optimise``: the L-BFGS-B fit over log-parameters shared by the models.
* ``predict``: the discounted predicted LTV (predict_ltv, fit_and_predict).
* ``fitting``: fits that never raise (fit_clv_models, fit_mbgnbd_model,
  fit_gamma_gamma_robust).
* ``quality``: the holdout backtest of the models (holdout_quality).
"""

from __future__ import annotations

from tag_warehouse.clv._common import (
    BGNBD_PARAM_NAMES,
    DEFAULT_WINSORISE_QUANTILES,
    GAMMA_GAMMA_PARAM_NAMES,
    LTV_MODELS,
    MBGNBD_PARAM_NAMES,
    SPEND_REMEDIES,
    WEIGHT_COLUMN,
    ClvFitError,
    ClvInputError,
    FitResult,
    ModelFit,
    horizon_in_units,
    weighted_quantile,
)
from tag_warehouse.clv._common import DAYS_PER_UNIT as DAYS_PER_UNIT
from tag_warehouse.clv._common import DAYS_PER_YEAR as DAYS_PER_YEAR
from tag_warehouse.clv._common import DISCOUNT_CHUNK_ROWS as DISCOUNT_CHUNK_ROWS
from tag_warehouse.clv._common import GRADIENT_TOLERANCE as GRADIENT_TOLERANCE
from tag_warehouse.clv._common import LOG_BOUND as LOG_BOUND
from tag_warehouse.clv._common import SUMMARY_COLUMNS as SUMMARY_COLUMNS
from tag_warehouse.clv._common import DateLike as DateLike
from tag_warehouse.clv._common import FitStatus as FitStatus
from tag_warehouse.clv._common import FloatArray as FloatArray
from tag_warehouse.clv._common import ParamsLike as ParamsLike
from tag_warehouse.clv._common import SpendRemedy as SpendRemedy
from tag_warehouse.clv._common import Unit as Unit
from tag_warehouse.clv._common import _collapse_rows as _collapse_rows
from tag_warehouse.clv.bgnbd import _bgnbd_negll_and_grad as _bgnbd_negll_and_grad
from tag_warehouse.clv.bgnbd import _BgnbdData as _BgnbdData
from tag_warehouse.clv.bgnbd import (
    bgnbd_expected_purchases,
    bgnbd_log_likelihood,
    bgnbd_prob_alive,
    fit_bgnbd,
)
from tag_warehouse.clv.fitting import (
    fit_clv_models,
    fit_gamma_gamma_robust,
    fit_mbgnbd_model,
)
from tag_warehouse.clv.gamma_gamma import (
    _gamma_gamma_negll_and_grad as _gamma_gamma_negll_and_grad,
)
from tag_warehouse.clv.gamma_gamma import _GammaGammaData as _GammaGammaData
from tag_warehouse.clv.gamma_gamma import (
    fit_gamma_gamma,
    gamma_gamma_conditional_mean,
    gamma_gamma_log_likelihood,
)
from tag_warehouse.clv.mbgnbd import _mbgnbd_negll_and_grad as _mbgnbd_negll_and_grad
from tag_warehouse.clv.mbgnbd import (
    fit_mbgnbd,
    mbgnbd_expected_purchases,
    mbgnbd_log_likelihood,
    mbgnbd_prob_alive,
)
from tag_warehouse.clv.optimise import _minimise as _minimise
from tag_warehouse.clv.predict import fit_and_predict, predict_ltv
from tag_warehouse.clv.summary import summarise_transactions

__all__ = [
    "BGNBD_PARAM_NAMES",
    "DEFAULT_WINSORISE_QUANTILES",
    "GAMMA_GAMMA_PARAM_NAMES",
    "LTV_MODELS",
    "MBGNBD_PARAM_NAMES",
    "SPEND_REMEDIES",
    "WEIGHT_COLUMN",
    "ClvFitError",
    "ClvInputError",
    "FitResult",
    "ModelFit",
    "bgnbd_expected_purchases",
    "bgnbd_log_likelihood",
    "bgnbd_prob_alive",
    "fit_and_predict",
    "fit_bgnbd",
    "fit_clv_models",
    "fit_gamma_gamma",
    "fit_gamma_gamma_robust",
    "gamma_gamma_conditional_mean",
    "gamma_gamma_log_likelihood",
    "fit_mbgnbd",
    "fit_mbgnbd_model",
    "horizon_in_units",
    "mbgnbd_expected_purchases",
    "mbgnbd_log_likelihood",
    "mbgnbd_prob_alive",
    "predict_ltv",
    "summarise_transactions",
    "weighted_quantile",
]
