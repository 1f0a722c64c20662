using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PinAnalyzers
{
    /// <summary>Pinned-Object-Heap allocations recognised by shape, for code outside the current semantic model.</summary>
    internal static class PinnedObjectHeapSyntax
    {
        /// <summary><c>GC.AllocateArray&lt;T&gt;(n, pinned: true)</c> or <c>AllocateUninitializedArray</c>, possibly qualified.</summary>
        internal static bool IsAllocation(ExpressionSyntax expression)
        {
            while (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized.Expression;
            }

            if (expression is not InvocationExpressionSyntax invocation)
            {
                return false;
            }

            // Only System.GC's: GC.AllocateArray, System.GC.…, global::System.GC.… (a lookalike allocator elsewhere is
            // ordinary heap memory).
            var name = invocation.Expression switch
            {
                MemberAccessExpressionSyntax member when member.Expression.ToString() is "GC" or "System.GC" or "global::System.GC" => member.Name.Identifier.ValueText,
                _ => null,
            };

            if (name is not ("AllocateArray" or "AllocateUninitializedArray"))
            {
                return false;
            }

            var arguments = invocation.ArgumentList.Arguments;
            for (var i = 0; i < arguments.Count; i++)
            {
                var argument = arguments[i];
                var isPinnedArgument = argument.NameColon is { } nameColon
                    ? nameColon.Name.Identifier.ValueText == "pinned"
                    : i == 1;
                if (isPinnedArgument)
                {
                    return argument.Expression.IsKind(SyntaxKind.TrueLiteralExpression);
                }
            }

            return false;
        }

        /// <summary>
        /// An allocation (<see cref="IsAllocation"/>), <c>MemoryMarshal.CreateFromPinnedArray(…)</c>, or memory over an
        /// allocation: <c>GC.AllocateArray&lt;T&gt;(n, pinned: true).AsMemory()</c>, <c>new Memory&lt;T&gt;(GC.AllocateArray…)</c>.
        /// </summary>
        internal static bool IsPinnedMemory(ExpressionSyntax expression)
        {
            while (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized.Expression;
            }

            switch (expression)
            {
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } when member.Name.Identifier.ValueText == "CreateFromPinnedArray":
                    return member.Expression.ToString() is "MemoryMarshal" or "System.Runtime.InteropServices.MemoryMarshal" or "global::System.Runtime.InteropServices.MemoryMarshal";
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } when member.Name.Identifier.ValueText is "AsMemory" or "AsSpan" or "Slice":
                    return IsPinnedMemory(member.Expression);
                case ObjectCreationExpressionSyntax { ArgumentList.Arguments: { Count: > 0 } arguments, Type: GenericNameSyntax { Identifier.ValueText: "Memory" or "ReadOnlyMemory" } }:
                    return IsAllocation(arguments[0].Expression);
                default:
                    return IsAllocation(expression);
            }
        }

        /// <summary>True when <paramref name="target"/> is <c>name</c>, <c>this.name</c> or <c>x.name</c>.</summary>
        internal static bool NamesMember(ExpressionSyntax target, string name)
            => Names(target, name) || target is MemberAccessExpressionSyntax { Name.Identifier.ValueText: var member } && member == name;

        /// <summary>
        /// For <c>GC.AllocateArray&lt;T&gt;(n, flag)</c> (or <c>pinned: flag</c>) whose flag is a simple name (<c>flag</c>,
        /// <c>this.flag</c>): that name's syntax; null for any other expression.
        /// </summary>
        internal static ExpressionSyntax? ConditionalFlag(ExpressionSyntax expression)
        {
            while (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized.Expression;
            }

            if (expression is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } invocation
                || member.Expression.ToString() is not ("GC" or "System.GC" or "global::System.GC")
                || member.Name.Identifier.ValueText is not ("AllocateArray" or "AllocateUninitializedArray"))
            {
                return null;
            }

            var arguments = invocation.ArgumentList.Arguments;
            for (var i = 0; i < arguments.Count; i++)
            {
                var argument = arguments[i];
                if (argument.NameColon is { } nameColon ? nameColon.Name.Identifier.ValueText == "pinned" : i == 1)
                {
                    return argument.Expression is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } ? argument.Expression : null;
                }
            }

            return null;
        }

        /// <summary>True when <paramref name="target"/> is <c>name</c> or <c>this.name</c>.</summary>
        internal static bool Names(ExpressionSyntax target, string name)
            => target switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
                MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } member => member.Name.Identifier.ValueText == name,
                _ => false,
            };
    }
}
