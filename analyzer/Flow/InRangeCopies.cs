using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// <c>Marshal.Copy</c> between a fresh local array and the pin's own address, with arguments that its checks accept
    /// (DESIGN.md, the "can throw" policy): it throws only for a null array, a zero pointer or a range outside the array,
    /// and none of those can happen. managedCuda's <c>GetScrambleConstants32</c>:
    /// <c>int[] src = new int[N]; … h = GCHandle.Alloc(dst, Pinned); Marshal.Copy(src, 0, h.AddrOfPinnedObject(), N); h.Free();</c>
    /// </summary>
    /// <remarks>
    /// The array argument is a local whose only assignment is its declaration's <c>new T[S]</c> (no other write, no
    /// <c>ref</c>/<c>out</c>); the start index is the constant 0; the length is a constant no larger than a constant
    /// <c>S</c>, or that array's own <c>Length</c>; the pointer is <c>AddrOfPinnedObject()</c> of a handle of this pin,
    /// whose target is also such a local array (so the address is not zero). Anything else may throw, as before.
    /// </remarks>
    internal static class InRangeCopies
    {
        internal static bool CannotThrow(IInvocationOperation invocation, Func<IOperation?, bool> isThisPin, IOperation? pinTarget, Compilation compilation)
        {
            if (invocation.TargetMethod is not { Name: "Copy", IsStatic: true, Parameters.Length: 4, ContainingType: { Name: "Marshal", ContainingNamespace: { Name: "InteropServices", ContainingNamespace: { Name: "Runtime", ContainingNamespace.Name: "System" } } } })
            {
                return false;
            }

            IOperation? array = null, pointer = null, start = null, length = null;
            foreach (var argument in invocation.Arguments)
            {
                switch (argument.Parameter)
                {
                    case { Name: "startIndex" }:
                        start = argument.Value;
                        break;
                    case { Name: "length" }:
                        length = argument.Value;
                        break;
                    case { Type: IArrayTypeSymbol }:
                        array = argument.Value;
                        break;
                    case { Type.SpecialType: SpecialType.System_IntPtr }:
                        pointer = argument.Value;
                        break;
                }
            }

            if (array.WalkDownConversions() is not ILocalReferenceOperation { Local: var local }
                || FreshArraySize(local, invocation, compilation) is not { } size
                || start?.ConstantValue is not { HasValue: true, Value: 0 })
            {
                return false;
            }

            var lengthOk = length switch
            {
                { ConstantValue: { HasValue: true, Value: int count } } => count >= 0 && size is int capacity && count <= capacity,
                IPropertyReferenceOperation { Property.Name: "Length", Instance: ILocalReferenceOperation owner } => SymbolEqualityComparer.Default.Equals(owner.Local, local),
                _ => false,
            };

            return lengthOk
                && pointer.WalkDownConversions() is IInvocationOperation { TargetMethod.Name: "AddrOfPinnedObject", Instance: var handle } && isThisPin(handle)
                && pinTarget.WalkDownConversions() is ILocalReferenceOperation { Local: var pinned } && FreshArraySize(pinned, invocation, compilation) is not null;
        }

        /// <summary>
        /// The constant size of <paramref name="local"/>'s only value, <c>new T[S]</c> in its declaration (a boxed
        /// <c>int</c>, or a non-null non-int marker when <c>S</c> is not constant); null when the local is written anywhere else.
        /// </summary>
        private static object? FreshArraySize(ILocalSymbol local, IInvocationOperation use, Compilation compilation)
        {
            if (local.IsRef
                || SourceSearch.SingleInitializer(use.Syntax, local.Name) is not ArrayCreationExpressionSyntax { Type.RankSpecifiers: { Count: > 0 } ranks } creation
                || ranks[0].Sizes.Count != 1
                || !compilation.ContainsSyntaxTree(creation.SyntaxTree))
            {
                return null;
            }

            var model = use.SemanticModel is { } own && own.SyntaxTree == creation.SyntaxTree ? own : compilation.GetSemanticModel(creation.SyntaxTree);
            var constant = model.GetConstantValue(ranks[0].Sizes[0]);
            return constant is { HasValue: true, Value: int size } ? size : (object)false;
        }
    }
}
