// Types of the transforms: computed from f's own parameter and return types, so a call with
// the wrong arguments, or a result used as the wrong thing, is a compile error. Types only:
// this module emits no code.
/* eslint-disable @typescript-eslint/no-explicit-any -- `any` only where f's own parameter is `any` */
import type { NestedArray, Tensor, TensorLike } from "../core/tensor.js";
import type { PyTree } from "../core/pytree.js";

/**
 * Which positional arguments a transform differentiates: an index or a tuple of indices.
 * @category Transform types
 */
export type Argnums = number | readonly number[];

/**
 * `T` with every leaf a Tensor: the type of gradients, tangents and outputs of a transform
 * whose argument (or f's output) has type `T`. A Tensor stays a Tensor, and so does anything
 * that is one leaf at run time (a number, a Float64Array, an array of numbers); arrays,
 * tuples and plain objects keep their structure: `{ W: Tensor; b: Tensor }` in, the same out.
 * @example
 * ```ts
 * type G = TensorsOf<{ W: Tensor; b: number[] }>;   // { W: Tensor; b: Tensor }
 * ```
 * @category Transform types
 */
export type TensorsOf<T> = IsAny<T> extends true
  ? any
  : PyTree extends T
    ? TensorPyTree
    : LeafTensors<T>;

type LeafTensors<T> = T extends Tensor | number | Float64Array | readonly NestedArray[]
    ? Tensor
    : { -readonly [K in keyof T]: TensorsOf<T[K]> };

/**
 * A tree of tensors of unknown structure: what {@link TensorsOf} gives for a value typed only
 * as a {@link PyTree} (or `unknown`).
 * @category Transform types
 */
export type TensorPyTree = Tensor | TensorPyTree[] | { [key: string]: TensorPyTree };

/** An unannotated parameter (`grad((x) => …)`) is `any`: its trees stay `any`, not a union. */
type IsAny<T> = 0 extends 1 & T ? true : false;

/**
 * What a transform accepts for an argument that f declares as `T`: where f takes a Tensor,
 * anything {@link TensorLike} (the transform converts it before f sees it); pytrees keep their
 * structure. Inside an array node a leaf must be a Tensor (or a Float64Array): an array of
 * numbers there would be read as one vector leaf, not as the array's elements.
 * @example
 * ```ts
 * type A = TreeArg<{ W: Tensor; b: Tensor }>;   // { W: TensorLike; b: TensorLike }
 * ```
 * @category Transform types
 */
export type TreeArg<T> = unknown extends T ? T : TensorPyTree extends T ? PyTree : LeafArg<T>;

type LeafArg<T> = T extends Tensor ? TensorLike : TreeNodeArg<T>;

/** {@link TreeArg} below an array node (where a numeric array would not be one leaf per entry). */
type TreeArgInArray<T> = T extends Tensor ? Tensor | Float64Array : TreeNodeArg<T>;

type TreeNodeArg<T> = T extends number | Float64Array | NestedArray
  ? T
  : T extends readonly unknown[]
    ? { [K in keyof T]: TreeArgInArray<T[K]> }
    : T extends object
      ? { [K in keyof T]: TreeArg<T[K]> }
      : T;

/** The indices `A` selects, as the string keys of a parameter tuple. */
type Selected<A extends Argnums> = `${A extends number ? A : A extends readonly number[] ? A[number] : never}`;

/**
 * f's parameters `P`, with those `A` selects (the differentiated ones) widened by
 * {@link TreeArg}: differentiated arguments may be TensorLike, the others pass to f as given.
 * @category Transform types
 */
export type ArgsOf<P extends readonly unknown[], A extends Argnums> = {
  [K in keyof P]: K extends Selected<A> ? TreeArg<P[K]> : P[K];
};

/**
 * Every parameter of `P` through {@link TreeArg} (transforms that convert all arguments).
 * @category Transform types
 */
export type TreeArgs<P extends readonly unknown[]> = { [K in keyof P]: TreeArg<P[K]> };

/**
 * Gradients of the parameters `A` selects: one tree for an index, a tuple for a tuple.
 * @category Transform types
 */
export type GradsOf<P extends readonly unknown[], A extends Argnums> = A extends number
  ? TensorsOf<P[A]>
  : A extends readonly number[]
    ? GradsTuple<P, A>
    : never;

// Recursive rather than a mapped type, so that it also reads `A` through `NoInfer`.
type GradsTuple<P extends readonly unknown[], A extends readonly number[]> = A extends readonly []
  ? []
  : A extends readonly [infer H extends number, ...infer T extends readonly number[]]
    ? [TensorsOf<P[H]>, ...GradsTuple<P, T>]
    : TensorsOf<P[A[number]]>[];

/**
 * One gradient tree per parameter of `P` (the cotangents {@link vjp}'s pullback returns).
 * @category Transform types
 */
export type AllGradsOf<P extends readonly unknown[]> = { -readonly [K in keyof P]: TensorsOf<P[K]> };
