import ExactArithmetic

/// How many rankings (permutations of the classes) a softmax layer `y = W x (+ b)` can realise,
/// for weights in general position. The count depends only on |C|, d and whether there is a bias.
///
/// Regions of the braid arrangement pulled back to input space correspond one-to-one to feasible
/// rankings. With a bias some regions are bounded (polytopes) and the rest unbounded; without a
/// bias every region is a cone, so none is bounded.
public struct RegionCount: Sendable, Hashable {
    /// The number of classes |C|.
    public let classes: Int
    /// The input dimension d.
    public let dimension: Int
    /// Whether the layer has a bias term.
    public let hasBias: Bool
    /// Feasible rankings = regions of the restricted braid arrangement.
    public let regions: BigInt
    /// Bounded regions (0 without a bias).
    public let boundedRegions: BigInt
    /// All rankings: |C|!.
    public let permutations: BigInt

    /// A count with its parts; `regions` includes the `boundedRegions`.
    public init(
        classes: Int, dimension: Int, hasBias: Bool, regions: BigInt, boundedRegions: BigInt, permutations: BigInt
    ) {
        self.classes = classes
        self.dimension = dimension
        self.hasBias = hasBias
        self.regions = regions
        self.boundedRegions = boundedRegions
        self.permutations = permutations
    }

    /// Regions that are not bounded: `regions − boundedRegions` (all of them without a bias).
    public var unboundedRegions: BigInt { regions - boundedRegions }

    /// log10 of the fraction of all |C|! rankings that is feasible (0 when every ranking is).
    public var log10FeasibleFraction: Double {
        regions.isZero ? -.infinity : regions.log10Magnitude - permutations.log10Magnitude
    }
}
