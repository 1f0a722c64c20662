using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN2003 "Pin with a fixed statement": <c>var p = (byte*)Unsafe.AsPointer(ref a[i]); …uses…</c> becomes
    /// <c>fixed (byte* p = &amp;a[i]) { …uses… }</c>. <c>ref obj.field</c> becomes <c>&amp;obj.field</c> and
    /// <c>ref MemoryMarshal.GetArrayDataReference(a)</c> becomes <c>fixed (T* p = a)</c>. When the pointer's type is not
    /// the referent's (a <c>byte*</c> into an <c>int[]</c>), the <c>fixed</c> pins a <c>T*</c> and the declaration stays
    /// inside it, converting. See docs/rules/PIN2003.md.
    /// </summary>
    /// <remarks>
    /// Offered only for a single-variable local declaration statement in a block whose later uses of the pointer (and
    /// of what derives from it) can move into the <c>fixed</c> body (the rules of <see cref="FixedBlockExtension"/>,
    /// shared with PIN2001's fix): none across <c>await</c>/<c>yield</c>, none returned, stored outside the body or
    /// captured by a lambda, and no write to a pointer that becomes the fixed local. The referent must be an unmanaged
    /// array element or instance field, so that <c>&amp;x</c> compiles.
    /// </remarks>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PinWithFixedCodeFix)), Shared]
    public sealed class PinWithFixedCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN2003.PinWithFixed";

        private const string Title = "Pin with a fixed statement";

        private static readonly FixAllProvider s_fixAll = PinFixes.CreateFixAll(RewriteAsync);

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN2003AddressOfMovableMemory.Id);

        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var fixedDocument = await PinFixes.FixOneAsync(context.Document, diagnostic.Location.SourceSpan, RewriteAsync, context.CancellationToken).ConfigureAwait(false);
                if (fixedDocument is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create(Title, _ => Task.FromResult(fixedDocument), EquivalenceKey), diagnostic);
                }
            }
        }

        private static async Task<SyntaxNode?> RewriteAsync(Document document, SyntaxNode root, ExpressionSyntax pin, CancellationToken cancellationToken)
        {
            if (pin is not InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments } invocation
                || arguments[0] is not { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword, Expression: var referenceSyntax }
                || Declaration(invocation) is not { } declaration
                || declaration.Statement.Parent is not BlockSyntax block)
            {
                return null;
            }

            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model?.GetDeclaredSymbol(declaration.Declarator, cancellationToken) is not ILocalSymbol { Type: IPointerTypeSymbol pointerType } pointer
                || PinApis.Create(model.Compilation) is not { } apis
                || model.GetOperation(referenceSyntax, cancellationToken) is not { } reference
                || Pinnable(reference, referenceSyntax, apis) is not { } pinnable
                || !pinnable.Referent.IsUnmanagedType)
            {
                return null;
            }

            var statements = block.Statements;
            var index = statements.IndexOf(declaration.Statement);
            if (FixedBlockExtension.End(block, index + 1, pointer, model, cancellationToken) is not { } end)
            {
                return null;
            }

            // The pointer's own type when it is the referent's (or void*): then it becomes the fixed local itself.
            var direct = pointerType.PointedAtType.SpecialType == SpecialType.System_Void
                || SymbolEqualityComparer.Default.Equals(pointerType.PointedAtType, pinnable.Referent);
            var moved = statements.Skip(index + 1).Take(end - index).ToList();
            if (!UsesStayInside(moved, pointer, direct, model, cancellationToken))
            {
                return null;
            }

            var position = declaration.Statement.SpanStart;
            TypeSyntax fixedType;
            string fixedName;
            if (direct)
            {
                fixedType = ParseTypeName(pointerType.ToMinimalDisplayString(model, position));
                fixedName = pointer.Name;
            }
            else
            {
                fixedType = ParseTypeName(model.Compilation.CreatePointerTypeSymbol(pinnable.Referent).ToMinimalDisplayString(model, position));
                fixedName = FreshName(model, block, position, "pinned");
            }

            var fixedDeclaration = VariableDeclaration(
                fixedType.WithTrailingTrivia(Space),
                SingletonSeparatedList(VariableDeclarator(Identifier(fixedName)).WithInitializer(EqualsValueClause(pinnable.Initializer))));
            var newBlock = FixedBlockExtension.Splice(block, index, index + 1, end, body =>
            {
                if (!direct)
                {
                    // var p = (byte*)pinned; — the conversion the old code made, now from the pinned address.
                    var converted = declaration.Statement.ReplaceNode(invocation, IdentifierName(fixedName)).WithoutLeadingTrivia();
                    body.Insert(0, converted);
                }

                return FixedStatement(fixedDeclaration, Block(body))
                    .WithLeadingTrivia(declaration.Statement.GetLeadingTrivia())
                    .WithTrailingTrivia(declaration.Statement.GetTrailingTrivia())
                    .WithAdditionalAnnotations(Formatter.Annotation);
            });
            return root.ReplaceNode(block, newBlock);
        }

        private sealed class PointerDeclaration
        {
            internal PointerDeclaration(LocalDeclarationStatementSyntax statement, VariableDeclaratorSyntax declarator)
            {
                Statement = statement;
                Declarator = declarator;
            }

            internal LocalDeclarationStatementSyntax Statement { get; }

            internal VariableDeclaratorSyntax Declarator { get; }
        }

        /// <summary><c>T* p = (T*)Unsafe.AsPointer(...);</c> or <c>var p = Unsafe.AsPointer(...);</c>, alone in its statement.</summary>
        private static PointerDeclaration? Declaration(InvocationExpressionSyntax invocation)
        {
            ExpressionSyntax value = PinFixes.WalkUpParentheses(invocation);
            if (value.Parent is CastExpressionSyntax { Type: PointerTypeSyntax } cast)
            {
                value = PinFixes.WalkUpParentheses(cast);
            }

            return value.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                   && declarator.Parent is VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax statement }
                   && statement.UsingKeyword.IsKind(SyntaxKind.None)
                   && statement.AwaitKeyword.IsKind(SyntaxKind.None)
                   && !statement.IsConst
                ? new PointerDeclaration(statement, declarator)
                : null;
        }

        private sealed class PinnableReference
        {
            internal PinnableReference(ExpressionSyntax initializer, ITypeSymbol referent)
            {
                Initializer = initializer;
                Referent = referent;
            }

            /// <summary>The fixed initializer: <c>&amp;a[i]</c>, <c>&amp;obj.field</c> or the array itself.</summary>
            internal ExpressionSyntax Initializer { get; }

            internal ITypeSymbol Referent { get; }
        }

        /// <summary>What a <c>fixed</c> can pin for the reference, or null for shapes it cannot (strings, spans, <c>Unsafe.Add</c> chains).</summary>
        private static PinnableReference? Pinnable(IOperation reference, ExpressionSyntax syntax, PinApis apis)
        {
            switch (reference)
            {
                case IArrayElementReferenceOperation { Type: { } element }:
                    return new PinnableReference(AddressOf(syntax), element);

                case IFieldReferenceOperation { Field: { IsStatic: false, IsReadOnly: false, IsFixedSizeBuffer: false } field }:
                    return new PinnableReference(AddressOf(syntax), field.Type);

                case IInvocationOperation { TargetMethod.Name: "GetArrayDataReference", Arguments.Length: 1 } data
                    when SymbolEqualityComparer.Default.Equals(data.TargetMethod.ContainingType, apis.MemoryMarshal)
                         && data.Arguments[0].Value.WalkDownConversions() is { Type: IArrayTypeSymbol { Rank: 1 } array } arrayValue
                         && SymbolEqualityComparer.Default.Equals(array.ElementType, data.Type)
                         && arrayValue.Syntax is ExpressionSyntax arraySyntax:
                    // fixed (T* p = a) pins the array and points at its data, null for an empty array.
                    return new PinnableReference(arraySyntax.WithoutTrivia(), array.ElementType);

                default:
                    return null;
            }
        }

        private static ExpressionSyntax AddressOf(ExpressionSyntax syntax)
            => PrefixUnaryExpression(SyntaxKind.AddressOfExpression, syntax.WithoutTrivia());

        /// <summary>
        /// The uses that move into the body stay there: no lambda or local function mentions the pointer or a value
        /// derived from it, no address is stored outside the body (a field, an element, a local declared before), and
        /// a pointer that becomes the fixed local is never written (fixed locals are read-only).
        /// </summary>
        private static bool UsesStayInside(List<StatementSyntax> moved, ILocalSymbol pointer, bool direct, SemanticModel model, CancellationToken cancellationToken)
        {
            var derived = FixedBlockExtension.Derived(moved, pointer, model, cancellationToken);
            var declaredInside = FixedBlockExtension.DeclaredLocals(moved, model, cancellationToken);
            foreach (var identifier in moved.SelectMany(s => s.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()))
            {
                if (model.GetSymbolInfo(identifier, cancellationToken).Symbol is not ILocalSymbol local || !derived.Contains(local, SymbolEqualityComparer.Default))
                {
                    continue;
                }

                if (identifier.Ancestors().Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
                {
                    return false;
                }

                if (direct && SymbolEqualityComparer.Default.Equals(local, pointer) && IsWritten(identifier))
                {
                    return false;
                }
            }

            foreach (var assignment in moved.SelectMany(s => s.DescendantNodesAndSelf().OfType<AssignmentExpressionSyntax>()))
            {
                if (!derived.Any(d => FixedBlockExtension.Mentions(assignment.Right, d, model, cancellationToken))
                    || !CarriesAddress(model.GetTypeInfo(assignment.Right, cancellationToken).Type))
                {
                    continue;
                }

                var target = assignment.Left is IdentifierNameSyntax name ? model.GetSymbolInfo(name, cancellationToken).Symbol : null;
                if (target is not ILocalSymbol local || !declaredInside.Contains(local, SymbolEqualityComparer.Default) && !SymbolEqualityComparer.Default.Equals(local, pointer))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool CarriesAddress(ITypeSymbol? type)
            => type is IPointerTypeSymbol or IFunctionPointerTypeSymbol
               || type?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr
               || type is INamedTypeSymbol { IsRefLikeType: true };

        private static bool IsWritten(IdentifierNameSyntax identifier)
            => identifier.Parent switch
            {
                AssignmentExpressionSyntax assignment => assignment.Left == identifier,
                PrefixUnaryExpressionSyntax prefix => prefix.Kind() is SyntaxKind.PreIncrementExpression or SyntaxKind.PreDecrementExpression or SyntaxKind.AddressOfExpression,
                PostfixUnaryExpressionSyntax => true,
                ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None),
                RefExpressionSyntax => true,
                _ => false,
            };

        private static string FreshName(SemanticModel model, BlockSyntax block, int position, string name)
        {
            var member = block.Ancestors().OfType<MemberDeclarationSyntax>().FirstOrDefault() ?? (SyntaxNode)block;
            var taken = new HashSet<string>(member.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
            var candidate = name;
            for (var i = 2; taken.Contains(candidate) || !model.LookupSymbols(position, name: candidate).IsEmpty; i++)
            {
                candidate = name + i;
            }

            return candidate;
        }
    }
}
