using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers
{
    /// <summary>
    /// PIN2003's local fact for fields that are not "readonly, every assignment POH": a field of this object assigned a
    /// Pinned Object Heap allocation by an earlier statement of the same block, with nothing in between that could
    /// assign it again — no call, creation, lambda, <c>ref</c>/<c>out</c> argument or assignment of the field (FASTER's
    /// <c>buffer = GC.AllocateArray&lt;byte&gt;(n, true); long a = (long)Unsafe.AsPointer(ref buffer[0]);</c>). Another
    /// thread could still swap the field, but code that does so without a lock has a bigger bug than a pin.
    /// </summary>
    internal static class RecentPinnedAllocation
    {
        /// <summary>True when the array behind <paramref name="reference"/> (<c>ref field[i]</c>,
        /// <c>GetArrayDataReference(field)</c>) is a field of this object that was just assigned POH memory.</summary>
        internal static bool Holds(IOperation reference, SyntaxNode use)
        {
            var array = reference.WalkDownConversions() switch
            {
                IArrayElementReferenceOperation element => element.ArrayReference,
                IInvocationOperation { TargetMethod.Name: "GetArrayDataReference", Arguments.Length: 1 } data => data.Arguments[0].Value,
                _ => null,
            };

            if (array.WalkDownConversions() is not IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field)
            {
                return false;
            }

            var name = field.Field.Name;
            SyntaxNode child = use;
            for (var node = use.Parent; node is not null; child = node, node = node.Parent)
            {
                if (node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax
                    or ForStatementSyntax or CommonForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax)
                {
                    // A loop's next iteration may follow a reassignment later in its body.
                    return false;
                }

                if (node is not BlockSyntax block || child is not StatementSyntax statement)
                {
                    continue;
                }

                if (MayReassign(statement, name, until: use.SpanStart))
                {
                    return false;
                }

                var index = block.Statements.IndexOf(statement);
                for (var i = index - 1; i >= 0; i--)
                {
                    var earlier = block.Statements[i];
                    if (earlier is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax assignment }
                        && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                        && PinnedObjectHeapSyntax.Names(assignment.Left, name))
                    {
                        return PinnedObjectHeapSyntax.IsAllocation(assignment.Right);
                    }

                    if (MayReassign(earlier, name, until: int.MaxValue))
                    {
                        return false;
                    }
                }

                // Nothing in this block before the use: the assignment may precede the enclosing statement.
            }

            return false;
        }

        /// <summary>Anything in <paramref name="node"/> before <paramref name="until"/> that could assign the field: a call, a creation, a lambda, an assignment or <c>ref</c> of the name.</summary>
        private static bool MayReassign(SyntaxNode node, string name, int until)
        {
            foreach (var inner in node.DescendantNodesAndSelf())
            {
                if (inner.SpanStart >= until)
                {
                    break;
                }

                switch (inner)
                {
                    case InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax:
                        return true;
                    case AssignmentExpressionSyntax assignment when PinnedObjectHeapSyntax.Names(assignment.Left, name):
                        return true;
                    case ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument when PinnedObjectHeapSyntax.Names(argument.Expression, name):
                        return true;
                }
            }

            return false;
        }
    }
}
