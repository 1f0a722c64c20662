using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// What the <c>fixed</c> fixes share (PIN2001 "Extend the fixed statement", PIN2003 "Pin with a fixed statement"): which
    /// statements after a point in a block must run inside a pin for a pointer local to stay valid, and the splice that
    /// moves them into a <c>fixed</c> body.
    /// </summary>
    /// <remarks>
    /// The statements are those from the start up to the last one that mentions the pointer, grown until no later
    /// statement uses a local they declare. They must hold no <c>await</c>, <c>yield</c>, label or local function (a
    /// <c>fixed</c> cannot span a suspension, a <c>goto</c> into it would not compile), must not return the pointer or a
    /// value derived from it, and nothing outside them may use what they declare.
    /// </remarks>
    internal static class FixedBlockExtension
    {
        /// <summary>
        /// The index of the last statement of <paramref name="block"/> that must move with the pointer, from
        /// <paramref name="start"/> on: <c>start - 1</c> when none mentions it, null when the statements cannot move.
        /// </summary>
        internal static int? End(BlockSyntax block, int start, ILocalSymbol pointer, SemanticModel model, CancellationToken cancellationToken)
        {
            var statements = block.Statements;
            var end = start - 1;
            for (var i = start; i < statements.Count; i++)
            {
                if (Mentions(statements[i], pointer, model, cancellationToken))
                {
                    end = i;
                }
            }

            if (end < start)
            {
                return end;
            }

            // Statements that use locals declared by the moved ones must move too, or they would lose them.
            for (var grown = true; grown;)
            {
                grown = false;
                var declaredSoFar = DeclaredLocals(statements.Skip(start).Take(end - start + 1), model, cancellationToken);
                for (var i = statements.Count - 1; i > end; i--)
                {
                    if (declaredSoFar.Any(local => Mentions(statements[i], local, model, cancellationToken)))
                    {
                        end = i;
                        grown = true;
                        break;
                    }
                }
            }

            var moved = statements.Skip(start).Take(end - start + 1).ToList();
            var derived = Derived(moved, pointer, model, cancellationToken);
            if (moved.Any(s => s.DescendantNodesAndSelf().Any(n => n is AwaitExpressionSyntax or YieldStatementSyntax or LabeledStatementSyntax or LocalFunctionStatementSyntax)
                || derived.Any(local => ReturnsLocal(s, local, model, cancellationToken))))
            {
                return null;
            }

            // Nothing after the moved statements (nor outside the block) may use what they declare.
            var declared = DeclaredLocals(moved, model, cancellationToken);
            foreach (var identifier in block.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (moved.Any(s => s.Span.Contains(identifier.Span)) || identifier.SpanStart < statements[start].SpanStart)
                {
                    continue;
                }

                if (model.GetSymbolInfo(identifier, cancellationToken).Symbol is ILocalSymbol local && declared.Contains(local, SymbolEqualityComparer.Default))
                {
                    return null;
                }
            }

            return end;
        }

        /// <summary>
        /// <paramref name="block"/> with its statements <paramref name="first"/>..<paramref name="end"/> replaced by
        /// <paramref name="replacement"/>, built from the statements <paramref name="moveFrom"/>..<paramref name="end"/>
        /// (the first loses the blank lines before it; the statement after the range takes over its separation).
        /// </summary>
        internal static BlockSyntax Splice(BlockSyntax block, int first, int moveFrom, int end, System.Func<List<StatementSyntax>, StatementSyntax> replacement)
        {
            var statements = block.Statements;
            var moved = statements.Skip(moveFrom).Take(end - moveFrom + 1).ToList();
            SyntaxTriviaList separation = default;
            if (moved.Count > 0)
            {
                separation = moved[0].GetLeadingTrivia();
                moved[0] = moved[0].WithLeadingTrivia(separation.SkipWhile(t => t.IsKind(SyntaxKind.EndOfLineTrivia) || t.IsKind(SyntaxKind.WhitespaceTrivia)));
            }

            var rest = statements.Skip(end + 1).ToList();
            if (rest.Count > 0 && moved.Count > 0 && !StartsWithBlankLine(rest[0].GetLeadingTrivia()))
            {
                // The statement that now follows the block takes over the separation the first moved one had.
                rest[0] = rest[0].WithLeadingTrivia(separation);
            }

            return block.WithStatements(SyntaxFactory.List(statements.Take(first).Append(replacement(moved)).Concat(rest)));
        }

        private static bool StartsWithBlankLine(SyntaxTriviaList trivia)
            => trivia.SkipWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).FirstOrDefault().IsKind(SyntaxKind.EndOfLineTrivia);

        internal static bool Mentions(SyntaxNode node, ILocalSymbol local, SemanticModel model, CancellationToken cancellationToken)
            => node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()
                .Any(i => i.Identifier.ValueText == local.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(i, cancellationToken).Symbol, local));

        internal static List<ILocalSymbol> DeclaredLocals(IEnumerable<SyntaxNode> statements, SemanticModel model, CancellationToken cancellationToken)
            => statements.SelectMany(s => s.DescendantNodesAndSelf().OfType<VariableDeclaratorSyntax>())
                .Select(d => model.GetDeclaredSymbol(d, cancellationToken))
                .OfType<ILocalSymbol>()
                .ToList();

        /// <summary>The pointer and the locals of <paramref name="statements"/> whose value derives from it (declared or assigned from an expression that mentions it).</summary>
        internal static List<ILocalSymbol> Derived(IReadOnlyList<StatementSyntax> statements, ILocalSymbol pointer, SemanticModel model, CancellationToken cancellationToken)
        {
            var derived = new List<ILocalSymbol> { pointer };
            for (var grown = true; grown;)
            {
                grown = false;
                foreach (var statement in statements)
                {
                    foreach (var node in statement.DescendantNodesAndSelf())
                    {
                        var (target, value) = node switch
                        {
                            VariableDeclaratorSyntax { Initializer: { } initializer } declarator => (model.GetDeclaredSymbol(declarator, cancellationToken) as ILocalSymbol, (SyntaxNode)initializer.Value),
                            AssignmentExpressionSyntax { Left: IdentifierNameSyntax left } assignment => (model.GetSymbolInfo(left, cancellationToken).Symbol as ILocalSymbol, assignment.Right),
                            _ => (null, null),
                        };
                        if (target is not null && value is not null && !derived.Contains(target, SymbolEqualityComparer.Default)
                            && derived.Any(d => Mentions(value, d, model, cancellationToken)))
                        {
                            derived.Add(target);
                            grown = true;
                        }
                    }
                }
            }

            return derived;
        }

        private static bool ReturnsLocal(StatementSyntax statement, ILocalSymbol local, SemanticModel model, CancellationToken cancellationToken)
            => statement.DescendantNodesAndSelf().OfType<ReturnStatementSyntax>()
                .Any(r => r.Expression is { } value && model.GetTypeInfo(value, cancellationToken).Type is IPointerTypeSymbol or { SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr }
                          && Mentions(value, local, model, cancellationToken));
    }
}
