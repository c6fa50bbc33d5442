import Testing
@testable import LoomDistributed
@testable import LoomRuntime

/// Dask's adaptive rule: grow at once, shrink only after repeated recommendations.
struct AdaptivePolicyTests {
    @Test func growsAtOnceWithinTheBounds() {
        var policy = AdaptivePolicy(options: AdaptiveOptions(minimum: 1, maximum: 4))
        #expect(policy.recommend(target: 0, planned: 0, notYetArrived: [], closable: []) == .up(1), "the minimum")
        #expect(policy.recommend(target: 10, planned: 1, notYetArrived: [], closable: []) == .up(4), "capped at the maximum")
        #expect(policy.recommend(target: 4, planned: 4, notYetArrived: [], closable: []) == .same)
    }

    @Test func shrinksOnlyAfterWaitCountRecommendationsInARow() {
        var policy = AdaptivePolicy(options: AdaptiveOptions(minimum: 0, maximum: 4, waitCount: 3))
        #expect(policy.recommend(target: 1, planned: 3, notYetArrived: [], closable: ["a", "b"]) == .same)
        #expect(policy.recommend(target: 1, planned: 3, notYetArrived: [], closable: ["a", "b"]) == .same)
        #expect(policy.recommend(target: 1, planned: 3, notYetArrived: [], closable: ["a", "b"]) == .down(["a", "b"]))
    }

    @Test func aBurstOfWorkResetsTheCount() {
        var policy = AdaptivePolicy(options: AdaptiveOptions(waitCount: 2))
        #expect(policy.recommend(target: 0, planned: 2, notYetArrived: [], closable: ["a"]) == .same)
        #expect(policy.recommend(target: 3, planned: 2, notYetArrived: [], closable: []) == .up(3))
        #expect(policy.recommend(target: 0, planned: 3, notYetArrived: [], closable: ["a"]) == .same, "counting starts again")
        #expect(policy.closeCounts == ["a": 1])
    }

    @Test func workersStillStartingGoFirst() {
        var policy = AdaptivePolicy(options: AdaptiveOptions(waitCount: 1))
        #expect(policy.recommend(target: 1, planned: 3, notYetArrived: ["c"], closable: ["a", "b"]) == .down(["c", "a"]))
    }

    @Test func shrinksByAtMostTheFractionPerStep() {
        var policy = AdaptivePolicy(options: AdaptiveOptions(waitCount: 1, maximumShrink: 0.25))
        let idle = (0..<20).map { "w\($0)" }
        #expect(policy.recommend(target: 0, planned: 20, notYetArrived: [], closable: idle) == .down(Array(idle.prefix(5))), "a quarter of 20")
        #expect(policy.recommend(target: 0, planned: 3, notYetArrived: [], closable: ["a", "b", "c"]) == .down(["a"]), "at least one")
    }

    @Test func waitsForTheCoolDownAfterAChange() {
        var policy = AdaptivePolicy(options: AdaptiveOptions(waitCount: 1, coolDown: .seconds(15)))
        let start = ContinuousClock.now
        #expect(policy.recommend(target: 4, planned: 2, notYetArrived: [], closable: [], now: start) == .up(4))
        #expect(policy.recommend(target: 1, planned: 4, notYetArrived: [], closable: ["a", "b", "c"], now: start + .seconds(10)) == .same,
                "within 15 s of growing")
        #expect(policy.recommend(target: 1, planned: 4, notYetArrived: [], closable: ["a", "b", "c"], now: start + .seconds(16)) == .down(["a", "b", "c"]))
        #expect(policy.recommend(target: 0, planned: 1, notYetArrived: [], closable: ["d"], now: start + .seconds(20)) == .same,
                "within 15 s of shrinking")
        #expect(policy.recommend(target: 6, planned: 1, notYetArrived: [], closable: [], now: start + .seconds(21)) == .up(6), "growing never waits")
    }
}
