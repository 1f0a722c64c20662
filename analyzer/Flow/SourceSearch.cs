using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PinAnalyzers.Flow
{
    /// <summary>Syntax searches shared by the one-level summaries: callers in other files, and a local's only value.</summary>
    internal static class SourceSearch
    {
        /// <summary>The roots of the trees whose text mentions <paramref name="name"/> (where an internal member's users can be).</summary>
        internal static IEnumerable<SyntaxNode> RootsMentioning(Compilation compilation, string name)
        {
            foreach (var tree in compilation.SyntaxTrees)
            {
                if (tree.GetText().ToString().Contains(name))
                {
                    yield return tree.GetRoot();
                }
            }
        }

        /// <summary>
        /// The initializer of the local <paramref name="name"/> in scope at <paramref name="use"/> (the declaration in an
        /// enclosing block before it; C# forbids shadowing, so that is the one), or null when it has none or its block
        /// writes it again: an assignment, <c>++</c>/<c>--</c>, <c>ref</c>/<c>out</c>, or its address taken.
        /// </summary>
        internal static ExpressionSyntax? SingleInitializer(SyntaxNode use, string name)
        {
            for (var block = use.Parent; block is not null and not MemberDeclarationSyntax; block = block.Parent)
            {
                if (block is not BlockSyntax scope)
                {
                    continue;
                }

                foreach (var statement in scope.Statements)
                {
                    if (statement.SpanStart >= use.SpanStart || statement is not LocalDeclarationStatementSyntax declaration)
                    {
                        continue;
                    }

                    foreach (var variable in declaration.Declaration.Variables)
                    {
                        if (variable.Identifier.ValueText == name)
                        {
                            return Writes(scope, name) ? null : variable.Initializer?.Value;
                        }
                    }
                }
            }

            return null;
        }

        /// <summary>Anything in <paramref name="scope"/> that may write the local named <paramref name="name"/>.</summary>
        internal static bool Writes(SyntaxNode scope, string name)
        {
            foreach (var node in scope.DescendantNodes())
            {
                var target = node switch
                {
                    AssignmentExpressionSyntax assignment => assignment.Left,
                    PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } post => post.Operand,
                    PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression or (int)SyntaxKind.AddressOfExpression } pre => pre.Operand,
                    ArgumentSyntax { RefKindKeyword.RawKind: not 0 } byRef => byRef.Expression,
                    _ => null,
                };

                if (target is IdentifierNameSyntax { Identifier.ValueText: var written } && written == name)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
