//! Random loss decisions: independent (Bernoulli) or bursty (Gilbert–Elliott).
//!
//! Every decision draws from the caller's RNG a fixed number of times (one for Bernoulli,
//! two for Gilbert–Elliott: the loss draw, then the transition draw), whatever the outcome.
//! So packet `i`'s fate depends only on the seed, the parameters and `i`, not on timing,
//! rate limiting or queue state: the same seed and packet sequence always give the same
//! drops.

use super::params::{GilbertElliott, LinkParams};
use super::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeState {
    Good,
    Bad,
}

#[derive(Debug, Clone)]
pub struct LossModel {
    /// Loss probability in the Good state (or always, without a chain).
    loss: f64,
    burst: Option<GilbertElliott>,
    state: GeState,
}

impl LossModel {
    pub fn new(params: &LinkParams) -> Self {
        LossModel {
            loss: params.loss,
            burst: params.loss_burst,
            state: GeState::Good,
        }
    }

    /// Takes new parameters. A chain that stays enabled keeps its current state, so a
    /// parameter change in the middle of a Bad spell does not silently end the burst; a
    /// newly enabled chain starts in Good.
    pub fn reconfigure(&mut self, params: &LinkParams) {
        if self.burst.is_none() || params.loss_burst.is_none() {
            self.state = GeState::Good;
        }
        self.loss = params.loss;
        self.burst = params.loss_burst;
    }

    pub fn state(&self) -> GeState {
        self.state
    }

    /// Decides whether the next packet is lost, then advances the chain.
    pub fn is_lost(&mut self, rng: &mut Rng) -> bool {
        match self.burst {
            None => rng.chance(self.loss),
            Some(ge) => {
                let p_loss = match self.state {
                    GeState::Good => self.loss,
                    GeState::Bad => ge.loss_in_bad,
                };
                let lost = rng.chance(p_loss);
                self.state = match self.state {
                    GeState::Good if rng.chance(ge.p_good_to_bad) => GeState::Bad,
                    GeState::Bad if rng.chance(ge.p_bad_to_good) => GeState::Good,
                    s => s,
                };
                lost
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(loss: f64, burst: Option<GilbertElliott>) -> LinkParams {
        LinkParams {
            loss,
            loss_burst: burst,
            ..LinkParams::default()
        }
    }

    #[test]
    fn chain_that_always_flips_alternates_states() {
        let ge = GilbertElliott {
            p_good_to_bad: 1.0,
            p_bad_to_good: 1.0,
            loss_in_bad: 1.0,
        };
        let mut m = LossModel::new(&params(0.0, Some(ge)));
        let mut rng = Rng::new(5);
        let fates: Vec<bool> = (0..6).map(|_| m.is_lost(&mut rng)).collect();
        // Starts in Good (never lost there), then Bad (always lost), and so on.
        assert_eq!(fates, [false, true, false, true, false, true]);
    }

    #[test]
    fn reconfigure_keeps_state_only_while_chain_stays_enabled() {
        let ge = GilbertElliott {
            p_good_to_bad: 1.0,
            p_bad_to_good: 0.0,
            loss_in_bad: 1.0,
        };
        let mut m = LossModel::new(&params(0.0, Some(ge)));
        let mut rng = Rng::new(1);
        m.is_lost(&mut rng);
        assert_eq!(m.state(), GeState::Bad);
        m.reconfigure(&params(
            0.0,
            Some(GilbertElliott {
                loss_in_bad: 0.5,
                ..ge
            }),
        ));
        assert_eq!(m.state(), GeState::Bad);
        m.reconfigure(&params(0.1, None));
        assert_eq!(m.state(), GeState::Good);
    }

    #[test]
    fn bernoulli_drops_are_nested_across_rates_with_one_seed() {
        // One draw per packet means a higher rate loses a superset of the packets.
        let run = |p: f64| {
            let mut m = LossModel::new(&params(p, None));
            let mut rng = Rng::new(99);
            (0..10_000).map(|_| m.is_lost(&mut rng)).collect::<Vec<_>>()
        };
        let low = run(0.01);
        let high = run(0.05);
        assert!(low.iter().zip(&high).all(|(&l, &h)| !l || h));
        assert!(high.iter().filter(|&&x| x).count() > low.iter().filter(|&&x| x).count());
    }
}
